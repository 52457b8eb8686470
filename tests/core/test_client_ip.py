"""core.net.client_ip: X-Forwarded-For counts only from a trusted proxy, and then its
right-most entry that is not a proxy; the audit trail records that address."""

import pytest

from core.audit import audit_record
from core.models import AuditEvent
from core.net import client_ip
from tests.test_settings_refusal import start

PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8::/32"]


def request(rf, remote=PROXY, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return rf.get("/", REMOTE_ADDR=remote, **extra)


def test_with_no_trusted_proxy_the_header_is_ignored(rf):
    assert client_ip(request(rf, remote="203.0.113.9", forwarded="198.51.100.1")) == "203.0.113.9"


def test_a_client_that_is_not_a_trusted_proxy_cannot_claim_another_address(rf, behind_proxy):
    assert client_ip(request(rf, remote="203.0.113.9", forwarded="10.0.0.7")) == "203.0.113.9"


@pytest.mark.parametrize(("forwarded", "client"), [
    pytest.param("198.51.100.1", "198.51.100.1", id="one proxy"),
    pytest.param("6.6.6.6, 198.51.100.1", "198.51.100.1", id="spoofed entries left of it"),
    pytest.param("6.6.6.6,198.51.100.1, 10.0.0.9", "198.51.100.1", id="two proxies"),
    pytest.param("2001:db8::7, 2a00:1450::1, 2001:db8::9", "2a00:1450::1", id="IPv6"),
    pytest.param("10.0.0.8, 10.0.0.9", "10.0.0.8", id="every hop a proxy"),
    pytest.param("", PROXY, id="no header"),
    pytest.param("not-an-address, 10.0.0.9", "10.0.0.9", id="garbage stops at its proxy"),
])
def test_behind_a_trusted_proxy_it_takes_the_right_most_untrusted_entry(
        rf, behind_proxy, forwarded, client):
    assert client_ip(request(rf, forwarded=forwarded)) == client


@pytest.mark.django_db
def test_the_audit_trail_records_the_client_behind_the_proxy(rf, behind_proxy):
    event = audit_record(actor=None, action="test.event", object_type="x", object_id=1,
                         request=request(rf, forwarded="6.6.6.6, 198.51.100.1"))

    assert AuditEvent.objects.get(pk=event.pk).ip_address == "198.51.100.1"


@pytest.mark.django_db
def test_the_audit_trail_ignores_a_header_from_an_untrusted_client(rf):
    event = audit_record(actor=None, action="test.event", object_type="x", object_id=1,
                         request=request(rf, remote="203.0.113.9", forwarded="6.6.6.6"))

    assert AuditEvent.objects.get(pk=event.pk).ip_address == "203.0.113.9"


def test_startup_refuses_a_trusted_proxy_that_is_no_address():
    result = start(TRUSTED_PROXIES="10.0.0.1, proxy.internal")

    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'proxy.internal'" in result.stderr


def test_startup_takes_addresses_and_networks():
    assert start(TRUSTED_PROXIES="10.0.0.1, 172.16.0.0/12,2001:db8::/32").returncode == 0
