"""Chats in a real browser: the demo tutor registers the chats the compliance board says are
missing until it turns complete, and prints the group's QR sheet; a parent on a 390-px phone
finds their child's group chat on the home page and opens its link. Every page accessible
(axe-core), without console errors, and without sideways scrolling on the phone.

The module has a server of its own: registering chats changes what other tests would read.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import support
from tests.browser.support import PHONE, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(start_live_server, _browser_requirements):
    return start_live_server()


@pytest.fixture
def open_page(page_opener, server):
    return lambda role, **options: page_opener(server.url, role, **options)


def check(page, axe, name: str, artifacts, **options) -> None:
    support.check(page, axe, f"chats-{name}", artifacts, **options)


def test_tutor_registers_the_missing_chats_and_the_board_turns_complete(open_page, axe, artifacts):
    page = open_page("tutor")
    assert page.locator("#p-chats-missing").count() == 1  # the home page says what is missing
    page.goto("/chats/compliance")
    check(page, axe, "compliance-mine", artifacts)
    summary = page.locator("#content p", has_text="Зарегистрировано чатов").first.inner_text()
    present, expected = map(int, re.search(r"(\d+) из (\d+)", summary).groups())
    assert 0 < expected - present <= 5, summary
    registered = 0
    while page.locator("a", has_text="Зарегистрировать").count():
        with page.expect_navigation():
            page.locator("a", has_text="Зарегистрировать").first.click()
        assert path_of(page).startswith("/chats/new?kind=")
        if registered == 0:
            check(page, axe, "form", artifacts)
        registered += 1
        page.fill("input[name=title]", f"Чат из браузерной проверки {registered}")
        page.fill("input[name=invite_url]", f"https://vk.me/join/browserCheck{registered}")
        page.fill("input[name=member_count]", "20")
        with page.expect_navigation():
            page.click("#content form button[type=submit]")
        assert re.fullmatch(r"/chats/\d+", path_of(page)), page.locator(
            ".invalid-feedback"
        ).all_inner_texts()
        page.goto("/chats/compliance")
        assert registered <= expected - present
    assert registered == expected - present
    assert page.locator(".alert-success").inner_text().startswith("Все чаты")
    assert f"{expected} из {expected} (100%)" in page.locator("#content").inner_text()
    check(page, axe, "compliance-complete", artifacts)
    page.goto("/")
    assert page.locator("#p-chats-missing").count() == 0

    # The group's links: who has been sent which, and the sheet to print.
    page.goto("/chats/")
    assert page.locator("nav[aria-labelledby=send-links] a").count() >= 1
    page.goto("/chats/?kind=tutor_students&status=active")
    with page.expect_navigation():
        page.locator("table a").first.click()
    with page.expect_navigation():
        page.click("text=Отправить ссылку группе")
    assert re.fullmatch(r"/chats/groups/\d+/links", path_of(page))
    assert page.locator(".badge.text-bg-success").count() >= 1  # the demo sent some
    check(page, axe, "links", artifacts)
    with page.expect_navigation():
        page.click("text=Лист с QR-кодами для печати")
    cards = page.locator(".chat-card")
    assert cards.count() >= 10
    assert cards.first.locator("img[src^='data:image/svg+xml']").count() >= 2
    check(page, axe, "sheet", artifacts)


def test_admin_sees_the_board_of_the_whole_college(open_page, axe, artifacts):
    page = open_page("admin", **PHONE)
    page.goto("/chats/compliance")
    assert page.locator("table tbody tr").count() >= 5
    check(page, axe, "board", artifacts)
    page.click("a.nav-link:has-text('Преподаватели')")
    assert "view=teachers" in page.url
    check(page, axe, "board-teachers", artifacts)


def test_parent_on_a_phone_opens_the_childs_group_chat(open_page, axe, artifacts):
    page = open_page("parent", **PHONE)
    panel = page.locator("#p-chats-join").locator("xpath=ancestor::section")
    panel.scroll_into_view_if_needed()
    link = panel.locator("a[href^='https://']").first
    href = link.get_attribute("href")
    assert re.fullmatch(r"https://(vk\.me|max\.ru)/join/\w+", href), href
    assert panel.locator("img[src^='data:image/svg+xml']").count() >= 1
    check(page, axe, "home-parent", artifacts)
    # The messenger is outside: answer for it, and see the link open in a new tab.
    page.context.route(
        re.compile(r"https://(vk\.me|max\.ru)/.*"),
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>Мессенджер</title>"
        ),
    )
    with page.expect_popup() as popup:
        link.click()
    opened = popup.value
    opened.wait_for_load_state()
    assert opened.url == href
