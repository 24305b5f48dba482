"""The "Clinical reviewer" group: everything a clinic editor may do, plus approving (or sending back) changes
to published pages before they go live (procedures/signoff.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Clinical reviewer"
EDITOR_GROUP = "Clinic editor"
EXTRA = ["approve_pendingversion", "view_pendingversion"]


def group_create(apps, schema_editor):
    # Permissions are normally created after migrations finish; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editor = Group.objects.get(name=EDITOR_GROUP)
    extra = Permission.objects.filter(content_type__app_label="procedures", codename__in=EXTRA)
    missing = set(EXTRA) - set(extra.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"Permissions not found for the {GROUP} group: {sorted(missing)}")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set([*editor.permissions.all(), *extra])


def group_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0009_pending_version"),
    ]

    operations = [migrations.RunPython(group_create, group_delete)]
