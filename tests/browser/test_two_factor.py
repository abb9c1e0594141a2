"""Two-factor sign-in in a real browser: the demo teacher sets it up from the profile (QR code
and key, a code computed with pyotp from the key shown), keeps the recovery codes, signs out,
and signs in again with the password and then a code. Every page accessible (axe-core) and
without console errors.

The module has a server of its own: turning two-factor sign-in on changes the demo account.
"""

from __future__ import annotations

import time

import pyotp
import pytest

from bench.liveserver import DEMO_PASSWORD, demo_email
from tests.browser import support
from tests.browser.support import console_error, login, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(start_live_server, _browser_requirements):
    return start_live_server()


@pytest.fixture
def new_page(browser, server):
    contexts = []

    def _open():
        context = browser.new_context(base_url=server.url, locale="ru-RU")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda msg: console_error(page, msg))
        return page

    yield _open
    for context in contexts:
        context.close()


def check(page, axe, name: str, artifacts, **options) -> None:
    support.check(page, axe, f"two-factor-{name}", artifacts, **options)


def test_set_up_and_sign_in_with_a_code(new_page, axe, artifacts):
    email = demo_email("teacher")
    page = new_page()
    login(page, email)
    page.goto("/profile")
    with page.expect_navigation():
        page.get_by_role("link", name="Двухфакторный вход").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Настроить двухфакторный вход").click()
    assert page.locator(".two-factor-qr svg").count() == 1
    check(page, axe, "setup", artifacts)
    secret = page.locator("#two-factor-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)

    page.fill("input[name=code]", "000000")
    with page.expect_navigation():
        page.get_by_role("button", name="Включить двухфакторный вход").click()
    assert "Код не подходит" in page.locator(".invalid-feedback").inner_text()

    page.fill("input[name=code]", totp.now())
    with page.expect_navigation():
        page.get_by_role("button", name="Включить двухфакторный вход").click()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    check(page, axe, "recovery-codes", artifacts)
    with page.expect_navigation():
        page.get_by_role("link", name="Коды сохранены").click()
    assert path_of(page) == "/profile/two-factor"
    assert "Двухфакторный вход включён" in page.locator("#content").inner_text()

    with page.expect_navigation():
        page.locator("form[action='/logout'] button").first.click()

    again = new_page()
    again.goto("/login")
    again.fill("input[name=login]", email)
    again.fill("input[name=password]", DEMO_PASSWORD)
    with again.expect_navigation():
        again.click("#content form button[type=submit]")
    assert path_of(again) == "/login/code"
    check(again, axe, "code", artifacts)
    # The code used to turn it on is spent; the next step's code is within the drift window.
    again.fill("input[name=code]", totp.at(time.time() + 30))
    with again.expect_navigation():
        again.get_by_role("button", name="Войти", exact=True).click()
    assert path_of(again) == "/", again.locator(".invalid-feedback, .alert").all_inner_texts()
