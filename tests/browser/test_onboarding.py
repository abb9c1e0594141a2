"""In the browser: an admin makes an invitation link with its QR code, a new teacher registers
by it on a phone, and the admin finds the request in the queue — accessibly, within the CSP."""

from __future__ import annotations

from tests.browser.support import PHONE, path_of
from tests.browser.test_roles import assert_accessible


def test_an_invitation_from_link_to_join_request(browser_page, axe, artifacts):
    admin = browser_page("admin")
    admin.goto("/onboarding/invitations/new")
    admin.select_option("select[name=role]", "teacher")
    admin.fill("input[name=max_uses]", "3")
    admin.fill("input[name=note]", "Для нового преподавателя")
    with admin.expect_navigation():
        admin.click("#content form button[type=submit]")
    assert path_of(admin).startswith("/onboarding/invitations/")
    qr = admin.locator("img.qr-image")
    assert qr.is_visible() and qr.evaluate("img => img.naturalWidth") > 0
    link = admin.input_value("#invite-url")
    assert "/join/" in link
    assert_accessible(axe, admin)

    newcomer = browser_page(**PHONE)
    newcomer.goto(path_of_url(link))
    assert newcomer.locator("h1").inner_text() == "Присоединиться к колледжу"
    assert_accessible(axe, newcomer)
    newcomer.fill("input[name=last_name]", "Браузерова")
    newcomer.fill("input[name=first_name]", "Вера")
    newcomer.fill("input[name=phone]", "+7 999 000-12-34")
    newcomer.fill("input[name=email]", "brauzerova@kolledzh.ru")
    newcomer.fill("input[name=password]", "синий кит плывёт")
    newcomer.fill("input[name=password2]", "синий кит плывёт")
    newcomer.check("input[name=consent]")
    with newcomer.expect_navigation():
        newcomer.click("#content form button[type=submit]")
    assert path_of(newcomer) == "/join/done"
    newcomer.screenshot(path=artifacts / "join-done-390.png", full_page=True)

    admin.goto("/onboarding/requests")
    assert "Браузерова Вера" in admin.locator("#content").inner_text()
    assert_accessible(axe, admin)
    assert not admin.console_errors, admin.console_errors
    assert not newcomer.console_errors, newcomer.console_errors


def path_of_url(url: str) -> str:
    """The live server's links carry the configured BASE_URL; the path is what we open."""
    return "/" + url.split("/", 3)[3]
