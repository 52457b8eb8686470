"""Gate devices sign in with `Authorization: Device <token>`: the gate endpoints accept nothing
else (a fan's or an admin's token is refused)."""

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from accessctl.gates.models import GateDevice
from accessctl.gates.services.scans import gate_device_of

KEYWORD = b"device"


class GateDeviceAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send `Authorization: Device <token>`.")
        device = gate_device_of(parts[1].decode(errors="replace"))
        if device is None:
            raise AuthenticationFailed("Unknown or retired gate device.")
        GateDevice.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
        return AnonymousUser(), device

    def authenticate_header(self, request):
        return "Device"


class IsGateDevice(BasePermission):
    message = "Only a gate device may do this."

    def has_permission(self, request, view):
        return isinstance(request.auth, GateDevice)
