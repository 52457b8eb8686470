"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser) against
pytest-django's live server. Skipped where /usr/bin/chromium is missing."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's sync API runs an event loop in this thread; the ORM calls in fixtures are still
# plain synchronous calls, so Django's async-safety guard does not apply here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    # The hook sees the whole session's items, not only this folder's: skip only the browser's.
    if not os.path.exists(CHROMIUM):
        skip = pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's loop must stop before other tests use async_to_sync."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def admin_login(page, live_server):
    def login(email, password="pass-1234"):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_selector("#user-tools")
        return page

    return login


class AsgiLiveServer:
    """config.asgi.application (HTTP, static files and WebSockets) under uvicorn in a thread,
    against the test database: pytest-django's live_server speaks WSGI only, and Channels'
    ChannelsLiveServerTestCase needs daphne. Use with a transactional test."""

    def __init__(self):
        import socket
        import threading

        import uvicorn
        from channels.layers import channel_layers
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
        from django.db import connections

        from config.asgi import application

        # A channel layer serves the one event loop of its process; each live server runs its
        # own loop, so each gets a fresh layer rather than one an earlier server's sockets may
        # still be receiving on ("Two event loops are trying to receive()").
        channel_layers.backends.clear()

        self._connections = connections
        self._settings = connections.settings["default"]
        self._saved_max_age = self._settings.get("CONN_MAX_AGE", 0)
        # Server threads close their connections after each request, so none is left open on
        # the test database when it is flushed or dropped.
        self._settings["CONN_MAX_AGE"] = 0
        self._shared = None
        app = ASGIStaticFilesHandler(application)
        main = connections["default"]
        if main.vendor == "sqlite" and main.is_in_memory_db():
            app = self._share_sqlite(main, app)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                                     loop="asyncio", ws="websockets-sansio"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        daemon=True)
        self._thread.start()
        for _ in range(200):
            if self._server.started:
                break
            threading.Event().wait(0.05)
        else:
            raise RuntimeError("the ASGI live server did not start")

    def _share_sqlite(self, main, app):
        """An in-memory SQLite test database lives in one connection: share it with the
        server's threads, as Django's own live server does, and let one HTTP request run at a
        time so two requests never interleave on it."""
        import asyncio
        from types import SimpleNamespace

        main.inc_thread_sharing()
        self._shared = (main, self._connections._connections)
        self._connections._connections = SimpleNamespace(default=main)
        lock = asyncio.Lock()

        async def serialised(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            async with lock:
                return await app(scope, receive, send)

        return serialised

    def stop(self):
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._shared:
            main, original = self._shared
            self._connections._connections = original
            main.dec_thread_sharing()
        self._settings["CONN_MAX_AGE"] = self._saved_max_age


@pytest.fixture
def asgi_live_server(transactional_db):
    server = AsgiLiveServer()
    yield server
    server.stop()
