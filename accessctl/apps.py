from django.apps import AppConfig


class AccessctlConfig(AppConfig):
    name = "accessctl"
