"""What browser tests share: where Chromium and axe-core are, phone size, signing in."""

from __future__ import annotations

import re
from pathlib import Path

from bench.liveserver import DEMO_PASSWORD, ROOT

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A 390-pixel-wide phone (context options for browser_page(role, **PHONE)).
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


def path_of(page) -> str:
    """The page's URL without scheme and host."""
    return re.sub(r"^https?://[^/]+", "", page.url)


def console_error(page, msg) -> None:
    if msg.type != "error":
        return
    source = (msg.location or {}).get("url", "")
    if source.endswith("/favicon.ico"):  # the browser asks by itself; not the page's doing
        return
    page.console_errors.append(f"{msg.text} ({source})" if source else msg.text)


def login(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real login form and wait for the home page."""
    page.goto("/login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("#content form button[type=submit]")
    if path_of(page) != "/":
        errors = page.locator(".invalid-feedback, .alert").all_inner_texts()
        raise AssertionError(f"{email} did not reach the home page but {page.url}: {errors}")


# --- opening pages and checking them ---------------------------------------------------------

BLOCKING = ("serious", "critical")  # axe-core impacts that fail a test


def open_page(browser, base_url: str, contexts: list, role: str | None = None, **options):
    """A page in a fresh context on `base_url`, signed in as the demo account of `role` if one
    is given. Console errors (CSP refusals included) and answers of 400 and above are kept in
    `page.console_errors`. The context is appended to `contexts` for the caller to close."""
    from bench.liveserver import demo_email

    context = browser.new_context(base_url=base_url, locale="ru-RU", **options)
    context.set_default_timeout(15_000)
    contexts.append(context)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: console_error(page, msg))
    page.on(
        "response",
        lambda r: r.status >= 400 and page.console_errors.append(f"HTTP {r.status} {r.url}"),
    )
    if role is not None:
        login(page, demo_email(role))
    return page


def describe(violations: list[dict]) -> str:
    """axe-core violations in a line each, with a few of the elements they were found on."""
    return "; ".join(
        f"{v['impact']} {v['id']}: {v['help']} "
        f"({', '.join(str(n['target']) for n in v['nodes'][:4])})"
        for v in violations
    )


def check(page, axe, name: str, artifacts: Path, *, sideways: bool = True) -> None:
    """No serious or critical axe-core finding, no sideways scrolling (unless allowed), no
    console error; then a full-page screenshot named `name` among the artifacts."""
    blocking = [v for v in axe(page) if v["impact"] in BLOCKING]
    assert not blocking, f"{name}: {describe(blocking)}"
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert not sideways or width <= viewport, (
        f"{name} scrolls sideways ({width} px in {viewport} px)"
    )
    assert not page.console_errors, page.console_errors
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)
