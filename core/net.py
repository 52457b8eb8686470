"""The client's address, the one place a proxy's X-Forwarded-For is believed.

A client can send any X-Forwarded-For it likes, so the header counts only when the connection
comes from one of settings.TRUSTED_PROXIES (addresses or networks). Each trusted proxy appends
the address it received the request from, so the client is the right-most entry that is not
itself a trusted proxy; anything further left was written by the client and is ignored.
Rate limits (DRF throttles), admin lockouts (django-axes), the audit trail and blacklist
attempts all read the address here."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parsed(address: str):
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def _is_trusted(address) -> bool:
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    """REMOTE_ADDR, unless that is a trusted proxy: then the right-most X-Forwarded-For entry
    that is not a trusted proxy (every hop trusted: the left-most). An entry that is no address
    ends the walk at the proxy that passed it on, so the answer is always an address."""
    remote = request.META.get("REMOTE_ADDR") or None
    hop = _parsed(remote or "")
    if hop is None or not _is_trusted(hop):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        address = _parsed(entry)
        if address is None:
            break
        hop = address
        if not _is_trusted(address):
            break
    return str(hop)


class ClientIPScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle keyed by client_ip: DRF's own get_ident takes X-Forwarded-For from
    anyone, so a rotating header would be a fresh client on every request."""

    def get_ident(self, request):
        return client_ip(request)
