"""The "Editors" group with the permissions to add, change, delete and publish entries, images
and topics (see entries/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db import migrations

from entries.roles import EDITORS, ensure_editors_group


def create_editors_group(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); make them now.
    for label in ["contenttypes", "auth", "entries"]:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_contenttypes(app_config, apps=apps, verbosity=0)
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_editors_group(apps)


def delete_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("entries", "0002_image_decorative_entry_version_publish_permission"),
    ]

    operations = [migrations.RunPython(create_editors_group, delete_editors_group)]
