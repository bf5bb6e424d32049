"""Per-language formats beside Django's own (FORMAT_MODULE_PATH): each language's news style.

`NEWS_DATE_FORMAT` is how a listing or an entry page dates an entry. A language without a
module here uses Django's DATE_FORMAT for it (newsroom.i18n.news_date).
"""
