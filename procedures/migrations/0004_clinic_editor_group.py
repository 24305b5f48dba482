"""The "Clinic editor" group: what clinic staff need to keep pages and clinics up to date, and no more.

Editors add and change pages, sections, clinics and opening hours, change the site details, and read
history. They cannot delete pages or clinics (unpublish or unlist instead, so nothing is lost), and
cannot manage users, groups or permissions.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Clinic editor"
PERMISSIONS = {
    "procedure": ["add", "change", "view"],
    "section": ["add", "change", "delete", "view"],
    "clinic": ["add", "change", "view"],
    "openinghours": ["add", "change", "delete", "view"],
    "sitedetails": ["change", "view"],
    "procedureredirect": ["view"],
    "historicalprocedure": ["view"],
    "historicalsection": ["view"],
    "historicalclinic": ["view"],
    "historicalopeninghours": ["view"],
    "historicalsitedetails": ["view"],
}


def group_create(apps, schema_editor):
    # Permissions are normally created after migrations finish; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    codenames = [f"{action}_{model}" for model, actions in PERMISSIONS.items() for action in actions]
    permissions = Permission.objects.filter(content_type__app_label="procedures", codename__in=codenames)
    missing = set(codenames) - set(permissions.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"Permissions not found for the {GROUP} group: {sorted(missing)}")
    group.permissions.set(permissions)


def group_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0003_procedure_redirects"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(group_create, group_delete)]
