"""Language names for editors, in the admin's language (which follows the editor's browser)."""

from django.utils.translation import get_language_info, gettext, pgettext_lazy

from newsroom.i18n import language_name

# As they read inside a sentence, where French does not capitalise a language's name
# ("Traduire en français"); Django's catalogue has them as titles ("Français").
IN_SENTENCE = {
    "en": pgettext_lazy("language name inside a sentence", "English"),
    "fr": pgettext_lazy("language name inside a sentence", "French"),
    "ru": pgettext_lazy("language name inside a sentence", "Russian"),
    "uk": pgettext_lazy("language name inside a sentence", "Ukrainian"),
}


def in_language_name(code):
    """ "French" in the active language, to use inside a sentence."""
    if code in IN_SENTENCE:
        return str(IN_SENTENCE[code])
    try:
        return gettext(get_language_info(code)["name"])
    except KeyError:
        return language_name(code)
