import entries.search
from django.db import migrations


class Migration(migrations.Migration):
    """The search trigger skips rows while a bulk insert defers them (entries.search)."""

    dependencies = [
        ("entries", "0004_search_vector_and_renditions"),
    ]

    operations = [
        migrations.RunPython(entries.search.install_deferral, migrations.RunPython.noop),
    ]
