"""Search in each language (issue 13): per-language text search configurations that ignore
accents, the trigger indexing each row with its own language's, and the word list spelling
suggestions come from; every stored vector recomputed. PostgreSQL only (a no-op on SQLite).
Reversible: going back restores the English-only trigger and recomputes the vectors with it
(the extensions stay: dropping them could break other users of the database)."""

from django.db import migrations

import entries.search


class Migration(migrations.Migration):

    dependencies = [
        ("entries", "0011_admin_verbose_names"),
    ]

    operations = [
        migrations.RunPython(entries.search.install_languages, entries.search.uninstall_languages),
    ]
