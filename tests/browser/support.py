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
