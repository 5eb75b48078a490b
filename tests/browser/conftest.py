"""Browser tests: the real server (`python app.py`, as tests/api/server.py starts it) driven by Playwright
in Debian's headless Chromium (/usr/bin/chromium; test.sh installs it; Playwright never downloads a
browser here). Every page a test opens is watched: a JavaScript console error, an uncaught exception,
a dialog (e.g. an injected alert) or a request to any host but this server fails the test.
Screenshots go to test-artifacts/browser/.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from tests.api.server import PASSWORD, USERNAME, Server, prepared_server
from tests.foundation.test_server import _env_file
from tests.support.net import free_port
from utils.config import PROJECT_ROOT
from utils.net import port_open

CHROMIUM = Path(os.environ.get("OPENALGO_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@dataclass
class Watch:
    """What went wrong on the pages of one test."""
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return ([f"console: {m}" for m in self.console_errors] + [f"external request: {u}" for u in self.foreign_requests]
                + [f"dialog: {d}" for d in self.dialogs])


@pytest.fixture(scope="module")
def chromium():
    """Per module: Playwright's sync API keeps an event loop running while it is open, which would break
    later tests of the same worker that call asyncio.run()."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run ./test.sh (it installs Debian's chromium) or "
                    "`apt-get install chromium chromium-driver`")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


# each browser test signs in afresh; the sign-in limits are tested elsewhere
RELAXED_LOGIN = {"LOGIN_RATE_LIMIT_MIN": "'1000 per minute'", "LOGIN_RATE_LIMIT_HOUR": "'10000 per hour'"}


def fresh_server(tmp_path: Path) -> Server:
    """No user yet: the first visit goes to /setup."""
    port = free_port()
    env_file = _env_file(tmp_path, port, ORDER_RATE_LIMIT="'10000 per second'", API_RATE_LIMIT="'10000 per second'",
                         **RELAXED_LOGIN)
    return Server(env_file, port, key="")


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[Server]:
    server = fresh_server(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ready_server(tmp_path_factory) -> Iterator[Server]:
    """A user with an API key and a connected paper broker (made by the CLI)."""
    server = prepared_server(tmp_path_factory.mktemp("browser"), **RELAXED_LOGIN)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server_with_feed(tmp_path: Path) -> Iterator[Server]:
    """A prepared server with its WebSocket proxy running (the paper feed ticking every 100 ms)."""
    ws_port = free_port()
    server = prepared_server(tmp_path, WEBSOCKET_PORT=str(ws_port), ZMQ_PORT=str(free_port()),
                             PAPER_TICK_INTERVAL_MS="100", **RELAXED_LOGIN)
    server.env_file.write_text(server.env_file.read_text().replace("WEBSOCKET_PROXY_ENABLED=false",
                                                                   "WEBSOCKET_PROXY_ENABLED=true"))
    server.start()
    deadline = time.monotonic() + 20
    while not port_open("127.0.0.1", ws_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    yield server
    server.stop()


def _watch(context, host: str) -> Watch:  # noqa: ANN001
    watch = Watch()

    def on_request(request) -> None:  # noqa: ANN001
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            watch.foreign_requests.append(request.url)

    def on_page(page) -> None:  # noqa: ANN001
        page.on("console", lambda m: watch.console_errors.append(f"{page.url}: {m.text} ({m.location.get('url')}:"
                                                                 f"{m.location.get('lineNumber')})")
                if m.type == "error" else None)
        page.on("pageerror", lambda exc: watch.console_errors.append(f"uncaught: {exc}"))
        page.on("dialog", lambda d: (watch.dialogs.append(d.message), d.dismiss()))

    context.on("request", on_request)
    context.on("page", on_page)
    return watch


@pytest.fixture
def open_browser(chromium):  # noqa: ANN001, ANN201
    """open_browser(server, **context_options) -> (page, watch); fails the test on any problem seen."""
    opened = []

    def start(server: Server, **options):  # noqa: ANN202
        context = chromium.new_context(base_url=server.host, viewport=options.pop("viewport", {"width": 1366, "height": 900}),
                                       **options)
        context.set_default_timeout(15000)
        watch = _watch(context, server.host)
        page = context.new_page()
        opened.append((context, watch))
        return page, watch

    yield start
    problems = [problem for _, watch in opened for problem in watch.problems()]
    for context, _ in opened:
        context.close()
    assert not problems, "\n".join(problems)


def shot(page, name: str, full_page: bool = True) -> Path:  # noqa: ANN001
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page, username: str = USERNAME, password: str = PASSWORD) -> None:  # noqa: ANN001
    page.goto("/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/auth/login" not in url)
