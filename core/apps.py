from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform: audit, notifications"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.urls import register_converter

        from core import receivers
        from core.converters import IdConverter
        from core.roles import roles_sync

        register_converter(IdConverter, "id")
        post_migrate.connect(roles_sync, dispatch_uid="core.roles_sync")
        user_logged_in.connect(receivers.admin_login_audit, dispatch_uid="core.admin_login")
        user_login_failed.connect(receivers.admin_login_failed_audit,
                                  dispatch_uid="core.admin_login_failed")
        receivers.admin_history_mirror()
