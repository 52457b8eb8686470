from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform: audit, notifications"

    def ready(self):
        from core.roles import roles_sync

        post_migrate.connect(roles_sync, dispatch_uid="core.roles_sync")
