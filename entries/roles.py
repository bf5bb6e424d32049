"""The "Editors" group: staff who write, illustrate and publish entries."""

from django.apps import apps as global_apps

EDITORS = "Editors"
MODELS = ["entry", "image", "topic"]
ACTIONS = ["add", "change", "delete", "view"]
EXTRA = ["publish_entry"]


def editor_codenames():
    return [f"{action}_{model}" for model in MODELS for action in ACTIONS] + EXTRA


def ensure_editors_group(apps=global_apps):
    """Create the group if needed and give it exactly the editors' permissions.

    Used by the data migration (with historical models) and by `create_editor`, so a database
    emptied by a test flush still gets a complete group.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = editor_codenames()
    permissions = list(
        Permission.objects.filter(content_type__app_label="entries", codename__in=codenames)
    )
    missing = set(codenames) - {permission.codename for permission in permissions}
    if missing:
        raise RuntimeError(f"Permissions missing (run migrate first): {sorted(missing)}")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    group.permissions.set(permissions)
    return group
