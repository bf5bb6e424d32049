"""Cache keys: what each public page shows, and which keys a change affects.

Every public page carries the keys of what it shows (`newsroom.surrogate.add_keys`); a change
names the keys of the pages it changes (`newsroom.cache.invalidate`), and only those pages are
dropped. The vocabulary:

- `site`: every public page (bulk changes too large to list).
- `listing`: the main listing, `/` with any page, filter or search. This key and `search`,
  `topic-list` and `feeds` are per language: the default language's bare, the others with
  their code (`listing-fr`: `/fr/`), so publishing in one language leaves the other's pages.
- `search`: pages whose entries depend on a text search (`?q=`).
- `topics`: pages showing topic names: listings (the filter form), topic pages, entry pages,
  the topic list.
- `topic-list`: the topic list, with each topic's number of entries.
- `topic-<id>`: the topic's page and its feeds (its entries, count, name, description).
- `entry-<id>`: the entry's own page, and the feeds listing it.
- `link-<id>`: pages linking to the entry: the pages of its neighbours and of the entries
  listing it as related (by headline and date), and of its translations (the language
  switcher and hreflang links).
- `story-<translation key>`: the pages of every language version of one story (each links to
  the others: the language switcher, hreflang).
- `image-<id>`: pages showing the photo: listing cards, entry pages, feed enclosures.
- `feeds`: the site-wide feeds. `sitemap`: sitemap.xml.

Related entries are the newest related entries published *before* an entry, so publishing a
new entry changes no older entry's related list: a publish refreshes the listings, feeds,
sitemap, its topics and its neighbours only.
"""

from operator import itemgetter
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone, translation

from .models import RELATED_ENTRIES, Entry, Image, Topic

SITE = "site"
LISTING = "listing"
SEARCH = "search"
TOPICS = "topics"
TOPIC_LIST = "topic-list"
FEEDS = "feeds"
SITEMAP = "sitemap"


def entry_key(pk):
    return f"entry-{pk}"


def link_key(pk):
    return f"link-{pk}"


def in_language(key, language=None):
    """A listing-wide key of one language: `listing` in the default language, `listing-fr`
    in French, so a change in one language leaves the other's listings, feeds and searches."""
    language = language or translation.get_language()
    return key if language == settings.LANGUAGE_CODE else f"{key}-{language}"


def in_every_language(key):
    return {in_language(key, code) for code, _ in settings.LANGUAGES}


def story_key(translation_key):
    return f"story-{translation_key}"


def image_key(pk):
    return f"image-{pk}"


def topic_key(pk):
    return f"topic-{pk}"


# What pages show.


def listing_page_keys(entries, *, topic=None, searched=False):
    """A page of entry cards: the main listing, or one topic's."""
    keys = {SITE, TOPICS, topic_key(topic.pk) if topic else in_language(LISTING)}
    if topic:
        keys.add(story_key(topic.translation_key))  # its switcher links to its translations
    if searched:
        keys.add(in_language(SEARCH))
    keys.update(image_key(entry.image_id) for entry in entries if entry.image_id)
    return keys


def count_keys(*, topic=None, searched=False):
    """The number of entries a listing counts: changed by what changes which entries it lists."""
    keys = {SITE, topic_key(topic.pk) if topic else in_language(LISTING)}
    if searched:
        keys.add(in_language(SEARCH))
    return keys


def _body_image_keys(entry):
    # The photos placed in the body show on the page (and in feeds) like the entry's own.
    from .body import image_ids

    return {image_key(pk) for pk in image_ids(entry.body)}


def entry_page_keys(entry, linked):
    """An entry's page; `linked` the entries it links to (neighbours, related; None skipped)."""
    keys = {SITE, TOPICS, entry_key(entry.pk), story_key(entry.translation_key)}
    keys.update(_body_image_keys(entry))
    if entry.image_id:
        keys.add(image_key(entry.image_id))
    keys.update(link_key(other.pk) for other in linked if other is not None)
    return keys


def feed_keys(entries, *, topic=None):
    keys = {SITE, topic_key(topic.pk) if topic else in_language(FEEDS)}
    for entry in entries:
        keys.add(entry_key(entry.pk))
        keys.update(_body_image_keys(entry))
        if entry.image_id:
            keys.add(image_key(entry.image_id))
    return keys


def topic_list_page_keys():
    return {SITE, TOPICS, in_language(TOPIC_LIST)}


SITEMAP_PAGE_KEYS = frozenset({SITE, SITEMAP})
OTHER_PAGE_KEYS = frozenset({SITE})


# What changes touch.


class Change(NamedTuple):
    keys: frozenset
    hard: bool = False  # a takedown: never served stale

    def __or__(self, other):
        return Change(self.keys | other.keys, self.hard or other.hard)


NOTHING = Change(frozenset())

# Entry fields by where they show. `updated` shows on the entry page, in feeds and sitemap.
LISTED_FIELDS = frozenset({"headline", "slug", "summary", "pub_date", "image_id", "language"})
LINKED_FIELDS = frozenset({"headline", "slug", "pub_date", "language"})
SEARCHED_FIELDS = frozenset({"headline", "summary", "body", "image_id"})
SNAPSHOT_FIELDS = (
    "pk",
    "headline",
    "slug",
    "summary",
    "body",
    "pub_date",
    "status",
    "image_id",
    "language",
    "translation_key",
)


class EntryState(NamedTuple):
    """What the public may see of one entry at one moment."""

    pk: int
    headline: str
    slug: str
    summary: str
    body: str
    pub_date: object
    status: str
    image_id: int | None
    language: str
    translation_key: object
    topics: frozenset

    @property
    def public(self):
        return self.status == Entry.Status.PUBLISHED and self.pub_date <= timezone.now()

    @property
    def scheduled(self):
        return self.status == Entry.Status.PUBLISHED and self.pub_date > timezone.now()


def entry_states(pks):
    """{pk: EntryState} as stored now (two queries)."""
    pks = list(pks)
    if not pks:
        return {}
    topics = {}
    for entry_id, topic_id in Entry.topics.through.objects.filter(entry_id__in=pks).values_list(
        "entry_id", "topic_id"
    ):
        topics.setdefault(entry_id, set()).add(topic_id)
    return {
        row[0]: EntryState(*row, frozenset(topics.get(row[0], ())))
        for row in Entry.objects.filter(pk__in=pks).values_list(*SNAPSHOT_FIELDS)
    }


def entry_state(entry, topics):
    """The state of an entry instance (just saved), with its topic ids."""
    return EntryState(*(getattr(entry, name) for name in SNAPSHOT_FIELDS), frozenset(topics))


def _topic_keys(topic_ids):
    return {topic_key(pk) for pk in topic_ids}


def pages_linking_to(state):
    """The entries whose pages link to this (public) entry as stored now: its neighbours, and
    the entries listing it as related. An entry lists it only when fewer than RELATED_ENTRIES
    entries of a shared topic lie between them, so the first few newer entries of each of its
    topics are all that can."""
    published = Entry.objects.published().in_language(state.language).only("pk")
    found = [published.before(state).first(), published.after(state).first()]
    for topic_id in state.topics:
        found.extend(published.after(state).filter(topics=topic_id)[:RELATED_ENTRIES])
    return {entry_key(entry.pk) for entry in found if entry is not None}


def _presence_keys(state):
    """Pages showing the entry at all, whatever changed."""
    return {
        entry_key(state.pk),
        link_key(state.pk),
        story_key(state.translation_key),
        in_language(LISTING, state.language),
        in_language(SEARCH, state.language),
        in_language(FEEDS, state.language),
        SITEMAP,
        in_language(TOPIC_LIST, state.language),
        *_topic_keys(state.topics),
    }


def entry_change(before, after):
    """The keys a change of one entry touches; `before`/`after` are `EntryState`s (None when
    the entry does not exist on that side). `after` must be what the database holds now."""
    was = before is not None and before.public
    now = after is not None and after.public
    if not was and not now:
        if after is not None and after.scheduled:
            # Pages cached before it was scheduled would outlive its time: refetched now, they
            # expire when it goes public (s-maxage is capped by the next scheduled entry).
            return Change(frozenset(_presence_keys(after) | pages_linking_to(after)))
        return NOTHING
    if was and not now:
        return Change(frozenset(_presence_keys(before)), hard=True)
    if now and not was:
        return Change(frozenset(_presence_keys(after) | pages_linking_to(after)))
    changed = {
        name for name in SNAPSHOT_FIELDS[1:] if getattr(before, name) != getattr(after, name)
    }
    # The entry page (and feeds listing it) show its `updated` time; the sitemap its lastmod.
    keys = {entry_key(after.pk), SITEMAP}
    if changed & LINKED_FIELDS:
        keys |= {link_key(after.pk), story_key(after.translation_key)}
    if changed & LISTED_FIELDS:
        keys |= {
            in_language(LISTING, after.language),
            in_language(FEEDS, after.language),
            *_topic_keys(after.topics),
        }
        if "language" in changed:  # gone from the other language's listings
            keys |= _presence_keys(before)
    if changed & SEARCHED_FIELDS:
        keys.add(in_language(SEARCH, after.language))
    if changed & {"pub_date", "language"}:
        keys |= pages_linking_to(after)
    if "language" in changed:
        keys |= pages_linking_to(before)
    # A new address (slug or language), or a photo taken off: the old ones must not linger.
    hard = bool(changed & {"slug", "language"}) or (
        before.image_id is not None and "image_id" in changed
    )
    return Change(frozenset(keys), hard)


def entry_topics_change(state, topic_ids):
    """`topic_ids` were added to or removed from the entry (`state` as stored now)."""
    if not state.public:
        return NOTHING
    keys = {
        entry_key(state.pk),
        link_key(state.pk),  # entries listing it as related through a topic it left
        in_language(LISTING, state.language),  # `/?topic=`
        in_language(TOPIC_LIST, state.language),
        SITEMAP,
        *_topic_keys(topic_ids),
    }
    return Change(frozenset(keys | pages_linking_to(state)))


IMAGE_FIELDS = ("pk", "file", "caption", "alt_text", "decorative", "credit", "rendition_sources")


def image_states(pks):
    return {
        row[0]: row for row in Image.objects.filter(pk__in=list(pks)).values_list(*IMAGE_FIELDS)
    }


def image_state(image):
    return tuple(
        image.file.name if name == "file" else getattr(image, name) for name in IMAGE_FIELDS
    )


def image_change(pk, before, after):
    """An image row changed (`before`/`after` from `image_states`, None when absent)."""
    if before == after:
        return NOTHING
    keys = {image_key(pk)}
    if before is None or after is None or before[2] != after[2]:
        keys |= in_every_language(SEARCH)  # captions are searched
    # A file deleted or replaced is gone from storage: pages must not keep pointing at it.
    hard = before is not None and (after is None or before[1] != after[1])
    return Change(frozenset(keys), hard)


def rendition_change(image_id, *, deleted):
    # A deleted rendition's file is gone: pages listing it in <picture> go at once.
    return Change(frozenset({image_key(image_id)}), hard=deleted)


TOPIC_FIELDS = ("pk", "name", "slug", "description", "translation_key", "language")


def topic_states(pks):
    return {
        row[0]: row for row in Topic.objects.filter(pk__in=list(pks)).values_list(*TOPIC_FIELDS)
    }


def topic_state(topic):
    return tuple(getattr(topic, name) for name in TOPIC_FIELDS)


def topic_change(pk, before, after):
    if before == after:
        return NOTHING
    # Where it is listed and at which address: its name, slug and language.
    listed = itemgetter(1, 2, 5)
    if before is not None and after is not None and listed(before) == listed(after):
        return Change(frozenset({topic_key(pk)}))  # the description shows on its pages only
    stories = {story_key(state[4]) for state in (before, after) if state is not None}
    keys = frozenset({topic_key(pk), TOPICS, *in_every_language(TOPIC_LIST), SITEMAP, *stories})
    # Deleted, or at a new address (slug or language): its old pages go at once.
    address = itemgetter(2, 5)
    hard = before is not None and (after is None or address(before) != address(after))
    return Change(keys, hard)


def everything(hard):
    return Change(frozenset({SITE}), hard)
