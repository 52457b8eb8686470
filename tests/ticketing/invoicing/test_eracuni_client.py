"""The e-računi client against the local server: the documented request shape, and every way
a call can fail mapped to a clear, typed error."""

import hashlib

import pytest

from ticketing.invoicing.eracuni import (
    EracuniClient,
    EracuniRefused,
    EracuniUnavailable,
    eracuni_configured,
)

from .conftest import PASSWORD, TOKEN, USERNAME


@pytest.fixture
def client(eracuni):
    return EracuniClient.from_settings()


def test_a_call_is_the_documented_json_body_with_the_md5_of_the_password(eracuni, client):
    created = client.create("invoice", {"buyerName": "Ana Horvat", "orderReference": "order:1",
                                        "Items": []})

    body = eracuni.requests[0]
    assert body == {"username": USERNAME, "md5pass": hashlib.md5(PASSWORD.encode()).hexdigest(),
                    "token": TOKEN, "method": "SalesInvoiceCreate",
                    "parameters": {"SalesInvoice": {"buyerName": "Ana Horvat",
                                                    "orderReference": "order:1", "Items": []}}}
    assert (created.document_id, created.number) == ("1", "2026-00001")
    assert client.find("invoice", "order:1") == created
    assert client.find("invoice", "order:2") is None
    assert client.public_url("1") == "https://e-racuni.example/pdf/1"


def test_an_error_answer_is_refused_with_e_racunis_words(eracuni, client):
    eracuni.faults["SalesInvoiceCreate"] = "error"
    with pytest.raises(EracuniRefused, match="SalesInvoiceCreate: Buyer tax number is not valid"):
        client.create("invoice", {"orderReference": "order:1"})


def test_wrong_credentials_are_refused(eracuni, settings):
    settings.ERACUNI_PW = "wrong"
    with pytest.raises(EracuniRefused, match="Login failed"):
        EracuniClient.from_settings().create("invoice", {"orderReference": "order:1"})


@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_a_server_error_or_a_timeout_is_worth_retrying(eracuni, client, fault):
    eracuni.faults["SalesInvoiceCreate"] = fault
    with pytest.raises(EracuniUnavailable) as failed:
        client.create("invoice", {"orderReference": "order:1"})
    assert failed.value.retryable


def test_no_server_at_all_is_worth_retrying(settings, closed_port):
    settings.ERACUNI_USERNAME, settings.ERACUNI_PW, settings.ERACUNI_TOKEN = "u", "p", "t"
    settings.ERACUNI_API_URL = f"http://127.0.0.1:{closed_port}/API"
    with pytest.raises(EracuniUnavailable, match="cannot reach e-računi"):
        EracuniClient.from_settings().create("invoice", {})


def test_it_is_configured_only_with_all_three_credentials(settings):
    settings.ERACUNI_USERNAME, settings.ERACUNI_PW, settings.ERACUNI_TOKEN = "u", "p", ""
    assert not eracuni_configured()
    settings.ERACUNI_TOKEN = "t"
    assert eracuni_configured()
