from django.apps import AppConfig


class GatesConfig(AppConfig):
    """Match day at the gates (E2-F8, E2-F9, E13): the barcode export for the gate vendor with
    its spare codes, closing a match with the vendor's attendance file, and the scan endpoint
    for gate devices with rotating QR codes."""

    name = "accessctl.gates"
    label = "gates"
    verbose_name = "Access control"

    def ready(self):
        from accessctl.gates import receivers  # noqa: F401 (signal receivers)
