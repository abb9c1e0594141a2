"""Each demo account signs in through the form, sees its home page in Russian, accessibly."""

from __future__ import annotations

import re
import threading

import pytest

from bench.liveserver import DEMO_ROLES, demo_email
from tests.browser.support import BLOCKING, PHONE, login, path_of

CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(str(n["target"]) for n in v["nodes"][:3])
        lines.append(f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {targets})")
    return "\n".join(lines)


def assert_accessible(axe, page) -> None:
    blocking = [v for v in axe(page) if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core on {page.url}:\n{describe(blocking)}"


def assert_russian(page) -> None:
    assert page.evaluate("document.documentElement.lang") == "ru"
    assert CYRILLIC.search(page.title()), page.title()
    heading = page.locator("h1").first.inner_text()
    assert CYRILLIC.search(heading), heading
    for label in page.locator("nav .nav-link").all_inner_texts():
        assert CYRILLIC.search(label), f"navigation label not in Russian: {label!r}"


def test_login_page_is_russian_and_accessible(browser_page, axe, artifacts):
    page = browser_page(**PHONE)
    page.goto("/login")
    assert_russian(page)
    assert page.locator("label[for=login]").inner_text().strip()
    assert_accessible(axe, page)
    assert not page.console_errors, page.console_errors
    page.screenshot(path=artifacts / "login-390.png", full_page=True)


def test_wrong_password_keeps_the_visitor_on_the_form(browser_page):
    page = browser_page()
    page.goto("/login")
    page.fill("input[name=login]", demo_email("student"))
    page.fill("input[name=password]", "not-the-password")
    page.click("#content form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/login")
    assert page.input_value("input[name=login]") == demo_email("student")
    assert page.locator(".invalid-feedback, .alert-danger").count() > 0


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_role_signs_in_and_sees_home(role, browser_page, axe, artifacts):
    page = browser_page(role, **PHONE)
    assert_russian(page)
    assert page.locator("header form[action$='/logout'] button").count() == 1
    assert_accessible(axe, page)
    assert not page.console_errors, page.console_errors
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the {role}'s home page scrolls sideways at 390 px ({width} px)"
    page.screenshot(path=artifacts / f"home-{role}-390.png", full_page=True)


@pytest.mark.parametrize("role", ["admin", "head"])
def test_home_page_on_desktop_is_accessible(role, browser_page, axe):
    """At desktop width the navigation is expanded, so its links are checked too; a college
    leader's many entries fit a laptop's width, the rarer ones in menus."""
    for width in (1280, 1024):
        page = browser_page(role, viewport={"width": width, "height": 900})
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"the {role}'s home page scrolls sideways at {width} px"
    assert page.locator("nav .navbar-toggler").is_visible()  # 1024 px: behind the menu button
    page = browser_page(role, viewport={"width": 1280, "height": 900})
    assert page.locator("nav .nav-link").first.is_visible()
    page.get_by_role("button", name="Колледж").click()
    people = page.get_by_role("link", name="Люди")
    assert people.is_visible()
    assert_accessible(axe, page)
    people.click()
    page.wait_for_load_state()
    assert page.url.endswith("/people/")
    assert page.get_by_role("button", name="Колледж").get_attribute("class").count("active") == 1


def test_demo_accounts_sign_in_together_from_one_address(browser, live_server):
    """A computer class: every demo account signs in at the same moment from 127.0.0.1."""
    contexts = [browser.new_context(base_url=live_server) for _ in DEMO_ROLES]
    pages = [context.new_page() for context in contexts]
    try:
        for page, role in zip(pages, DEMO_ROLES, strict=True):
            page.goto("/login")
            page.fill("input[name=login]", demo_email(role))
            page.fill("input[name=password]", "demo-password")
        # Submit every form before waiting for any answer.
        for page in pages:
            page.evaluate("document.querySelector('#content form').requestSubmit()")
        for page, role in zip(pages, DEMO_ROLES, strict=True):
            page.wait_for_url(f"{live_server}/", timeout=30_000)
            assert page.locator("h1").count() == 1, role
    finally:
        for context in contexts:
            context.close()


def test_concurrent_logins_over_http(live_server):
    """The same at the HTTP level, several times per account, from threads."""
    from bench.liveserver import login_cookies

    errors: list[str] = []

    def sign_in(role: str) -> None:
        try:
            login_cookies(live_server, demo_email(role))
        except Exception as error:  # collected and reported below
            errors.append(f"{role}: {error}")

    threads = [threading.Thread(target=sign_in, args=(r,)) for r in DEMO_ROLES * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_signed_in_page_survives_reload_and_signs_out(browser_page):
    page = browser_page("teacher")
    page.reload()
    assert path_of(page) == "/"
    page.click("header form[action$='/logout'] button")
    page.wait_for_url(re.compile(r"/login"))
    page.goto("/")
    assert "/login" in page.url


def test_login_helper_rejects_wrong_password(browser_page):
    page = browser_page()
    with pytest.raises(AssertionError):
        login(page, demo_email("admin"), "wrong-password-123")
