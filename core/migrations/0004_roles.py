"""The back-office roles. Their permissions are (re)assigned after every migrate by
core.roles.roles_sync, since permissions only exist once all apps have migrated."""

from django.db import migrations

ROLES = ["Super Admin", "Match Manager", "Quota Manager", "Support Agent", "Supervisor",
         "Petrol Staff"]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_append_only"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create, remove)]
