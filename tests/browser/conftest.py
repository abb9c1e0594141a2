"""Browser tests: the app served by gunicorn with the demo college, driven by Debian's Chromium.

Fixtures for any browser test:
- `live_server`: the base URL of a real server (session-scoped; a SQLite database with the
  demo college, see bench/liveserver.py), and `live_app`, that server (`.url`, `.env`);
- `start_live_server(workers=2, threads=4)`: a server of a test module's own on a fresh copy of
  the demo database, built once per session (no second build);
- `browser`: a headless Chromium (Playwright) for the session;
- `browser_page(role=None, **context_options)`: a new page in a context of its own, signed in
  through the login form as the demo account of that role (anonymous when role is None);
- `axe(page)`: runs axe-core on the page and returns its violations;
- `artifacts`: the git-ignored folder for screenshots.
tests/browser/support.py has the rest: PHONE (390-px context options), login(), path_of().

Where /usr/bin/chromium or node_modules/axe-core is missing, the tests are skipped with one
plain line in the summary; under CI=true they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.liveserver import LiveServer, app_env, build_database
from tests.browser.support import (
    ARTIFACTS,
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    open_page,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_skipped: list[str] = []


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium ({CHROMIUM}) is not installed (apt-get install chromium)"
    if not AXE.exists():
        return f"axe-core ({AXE.relative_to(ROOT)}) is not installed (npm ci)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (make install)"
    return None


def pytest_collection_modifyitems(config, items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter) -> None:
    if _skipped:
        terminalreporter.write_line(
            f"Browser tests skipped: {_skipped[0]}. They run where it is installed."
        )


@pytest.fixture(scope="session")
def _browser_requirements() -> None:
    missing = _missing()
    if missing is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {missing}: browser tests cannot run", pytrace=False)
    if not _skipped:
        _skipped.append(missing)
    pytest.skip(f"browser tests skipped: {missing}")


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory, _catalog) -> Path:
    """The demo college built once per session (SQLite file); servers start on copies of it."""
    workdir = tmp_path_factory.mktemp("demo-database")
    env = app_env(f"sqlite:///{workdir / 'intranet.sqlite3'}", workdir)
    build_database(env, scale=1, log=workdir / "build.log")
    return workdir / "intranet.sqlite3"


@pytest.fixture(scope="session")
def start_live_server(tmp_path_factory, demo_database) -> Iterator[Callable[..., LiveServer]]:
    """Start a server of your own on a fresh copy of the demo database (stopped at the end).

    For tests that change data others read, or that run `flask worker` against the same
    database: `server.env` is the app's environment, `server.url` its address.
    """
    servers: list[LiveServer] = []

    def _start(workers: int = 2, threads: int = 4) -> LiveServer:
        workdir = tmp_path_factory.mktemp("live-server")
        for suffix in ("", "-wal"):
            source = Path(f"{demo_database}{suffix}")
            if source.exists():
                shutil.copyfile(source, workdir / f"intranet.sqlite3{suffix}")
        env = app_env(f"sqlite:///{workdir / 'intranet.sqlite3'}", workdir)
        server = LiveServer(env, workdir / "server.log", workers=workers, threads=threads)
        servers.append(server)
        return server.start()

    yield _start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def live_app(start_live_server) -> LiveServer:
    """The shared server (gunicorn, 2 workers × 4 threads) with the demo college."""
    return start_live_server()


@pytest.fixture(scope="session")
def live_server(live_app) -> str:
    """The shared server's base URL."""
    return live_app.url


@pytest.fixture(scope="session")
def browser(_browser_requirements):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_opener(browser) -> Iterator[Callable]:
    """`page_opener(base_url, role=None, **context_options)`: a page in a fresh context on
    that server, signed in as the demo account of `role` if one is given (see
    support.open_page); the contexts are closed after the test."""
    contexts: list = []
    yield lambda base_url, role=None, **options: open_page(
        browser, base_url, contexts, role, **options
    )
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(page_opener, live_server) -> Callable:
    """Open a page on the shared demo server, signed in as the demo account of `role` if one
    is given. Every page records console errors (CSP refusals included) and answers of 400
    and above in `page.console_errors`."""
    return lambda role=None, **options: page_opener(live_server, role, **options)


@pytest.fixture(scope="session")
def axe() -> Callable:
    """Run axe-core in a page (evaluated over DevTools, so the page's CSP stays in force)."""
    source = AXE.read_text() if AXE.exists() else ""

    def _run(page) -> list[dict]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(source)
        result = page.evaluate(
            "async () => await window.axe.run(document, {resultTypes: ['violations']})"
        )
        return result["violations"]

    return _run


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
