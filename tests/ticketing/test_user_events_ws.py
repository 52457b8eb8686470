"""ws/me/: a signed-in fan's live events, authenticated by `?token=<access token>`.

The communicator is async and pytest-asyncio is not installed, so each test runs an inner
coroutine with async_to_sync. The tests are transactional: the consumer side reaches the
database from another thread, and events go out only on commit."""

import json
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.db import transaction

from config.asgi import application
from core.transactions import broadcast_on_commit
from ticketing.consumers import user_group

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")


class WebsocketCommunicator(ApplicationCommunicator):
    """The part of channels.testing.WebsocketCommunicator these tests use. (channels.testing
    itself cannot be imported here: its package imports daphne, which is not installed.)"""

    def __init__(self, app, path: str, headers=()):
        url = urlsplit(path)
        super().__init__(
            app,
            {
                "type": "websocket",
                "path": url.path,
                "headers": list(headers),
                "query_string": url.query.encode(),
                "subprotocols": [],
            },
        )

    async def connect(self, timeout=1) -> tuple[bool, int | None]:
        """(True, None) when accepted, (False, close code) when refused."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept", response
        return True, None

    async def receive_json_from(self, timeout=1) -> dict:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code=1000, timeout=1) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)

    async def connect_and_drop(self) -> tuple[bool, int | None]:
        """connect(), then stop the application. For refusals, which run on the in-memory
        channel layer (`refusals_in_memory`): a refused consumer on the Redis layer takes a
        second to wind down after a disconnect, and cancelling it instead could leave
        channels-redis's receive waiting forever when the test's event loop closed (a hang
        seen in about one full run in three)."""
        try:
            return await self.connect()
        finally:
            self.stop(exceptions=False)


def communicator(query: str = "", origin=ORIGIN) -> WebsocketCommunicator:
    path = f"/ws/me/?{query}" if query else "/ws/me/"
    return WebsocketCommunicator(application, path, headers=[origin] if origin else [])


@database_sync_to_async
def broadcast(user_id: int, event: dict, *, commit: bool = True) -> None:
    class RolledBack(Exception):
        pass

    try:
        with transaction.atomic():
            broadcast_on_commit(user_group(user_id), {"type": "user.event", "event": event})
            if not commit:
                raise RolledBack
    except RolledBack:
        pass


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


def test_a_signed_in_fan_connects_and_is_greeted(login):
    fan = login("fan@example.com")

    async def scenario():
        ws = communicator(f"token={fan.tokens.access_token}")
        connected, _ = await ws.connect()
        hello = await ws.receive_json_from() if connected else None
        await ws.disconnect()
        return connected, hello

    connected, hello = run(scenario)

    assert connected
    assert hello == {"type": "hello", "user_id": fan.user.pk}


def test_an_event_sent_to_the_fan_arrives_after_commit(login):
    fan = login("fan@example.com")
    event = {"type": "order.paid", "order_id": 42}

    async def scenario():
        ws = communicator(f"token={fan.tokens.access_token}")
        await ws.connect()
        await ws.receive_json_from()
        await broadcast(fan.user.pk, event)
        received = await ws.receive_json_from(timeout=2)
        await ws.disconnect()
        return received

    assert run(scenario) == event


def test_events_for_another_fan_or_from_a_rolled_back_transaction_never_arrive(login):
    fan = login("fan@example.com")
    other = login("other@example.com")

    async def scenario():
        ws = communicator(f"token={fan.tokens.access_token}")
        await ws.connect()
        await ws.receive_json_from()
        await broadcast(other.user.pk, {"type": "order.paid", "order_id": 1})
        await broadcast(fan.user.pk, {"type": "order.paid", "order_id": 2}, commit=False)
        # A group delivers in order, so the first thing to arrive proves the two above never will.
        await broadcast(fan.user.pk, {"type": "order.paid", "order_id": 3})
        received = await ws.receive_json_from(timeout=2)
        await ws.disconnect()
        return received

    assert run(scenario) == {"type": "order.paid", "order_id": 3}


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="no token"),
        pytest.param("token=not-a-jwt", id="bad token"),
    ],
)
def test_it_refuses_a_connection_without_a_valid_token(query, refusals_in_memory):
    async def scenario():
        return await communicator(query).connect_and_drop()

    connected, code = run(scenario)

    assert not connected
    assert code == 4401


def test_it_refuses_a_token_whose_session_was_logged_out(login, refusals_in_memory):
    fan = login("fan@example.com")
    assert fan.post("/api/auth/logout").status_code == 204

    async def scenario():
        return await communicator(f"token={fan.tokens.access_token}").connect_and_drop()

    assert run(scenario) == (False, 4401)


def test_it_refuses_a_connection_from_a_foreign_origin(login, refusals_in_memory):
    fan = login("fan@example.com")

    async def scenario():
        ws = communicator(
            f"token={fan.tokens.access_token}", origin=(b"origin", b"https://evil.example")
        )
        return await ws.connect_and_drop()

    connected, _ = run(scenario)
    assert not connected


def test_a_native_app_without_an_origin_header_connects_with_its_token(login):
    fan = login("fan@example.com")

    async def scenario():
        ws = communicator(f"token={fan.tokens.access_token}", origin=None)
        connected, _ = await ws.connect()
        hello = await ws.receive_json_from()
        await ws.disconnect()
        return connected, hello

    connected, hello = run(scenario)
    assert connected and hello["type"] == "hello"
