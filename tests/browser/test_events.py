"""Events in a real browser, on a phone: an admin schedules a demonstration exam through the
form, finds it in the month view and in the downloaded .ics; a student finds the calendar and
the subscription page. Every page accessible (axe-core) and without sideways scrolling at
390 px."""

from __future__ import annotations

import re
from datetime import date, timedelta

import icalendar
import pytest

from tests.browser import support
from tests.browser.support import PHONE, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TITLE = "ДЭ 09.02.07 — браузерная проверка"


def check(page, axe, name: str, artifacts, **options) -> None:
    support.check(page, axe, f"events-{name}", artifacts, **options)


def test_admin_schedules_a_demonstration_exam(browser_page, axe, artifacts, tmp_path):
    page = browser_page("admin", **PHONE)
    page.goto("/events/")
    check(page, axe, "month", artifacts)
    page.click("text=Запланировать событие")
    assert path_of(page) == "/events/new"
    check(page, axe, "kinds", artifacts)
    page.click("text=Демонстрационный экзамен")
    assert path_of(page) == "/events/new?kind=demo_exam"
    check(page, axe, "form", artifacts)

    day = date.today() + timedelta(days=4)
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=attestation]", "gia")
    page.select_option("select[name=level]", "profile")
    page.fill("input[name=kod]", "09.02.07-2-2026")
    page.fill("input[name=exam_site]", "ЦПДЭ, мастерская № 3")
    # Early in the morning: the demo schedule keeps its events within the working day.
    for n, (offset, start, end) in enumerate(((0, "06:00", "07:00"), (1, "06:00", "07:30"))):
        page.fill(f"input[name=sessions-{n}-day]", (day + timedelta(days=offset)).isoformat())
        page.fill(f"input[name=sessions-{n}-start]", start)
        page.fill(f"input[name=sessions-{n}-end]", end)
    with page.expect_navigation():
        page.click("#content form input[type=submit][name=submit]")
    assert re.fullmatch(r"/events/\d+", path_of(page)), page.url
    assert page.locator("h1").inner_text() == TITLE
    assert page.locator("text=ЦПДЭ, мастерская № 3").count() >= 1
    check(page, axe, "event", artifacts)

    with page.expect_download() as waiting:
        page.click("text=Скачать .ics")
    saved = tmp_path / "event.ics"
    waiting.value.save_as(saved)
    calendar = icalendar.Calendar.from_ical(saved.read_bytes())
    vevents = list(calendar.walk("VEVENT"))
    assert {str(v["SUMMARY"]) for v in vevents} == {f"{TITLE} · Д-1", f"{TITLE} · Д1"}
    assert {v["DTSTART"].dt.date() for v in vevents} == {day, day + timedelta(days=1)}
    assert len({str(v["UID"]) for v in vevents}) == 2

    page.goto(f"/events/?month={day:%Y-%m}")
    link = page.locator("a.ev", has_text=TITLE)
    assert link.count() == 2  # Д-1 and Д1
    with page.expect_navigation():
        link.first.click()
    assert page.locator("h1").inner_text() == TITLE


def test_student_sees_the_calendar_and_subscribes(browser_page, axe, artifacts):
    page = browser_page("student", **PHONE)
    page.goto("/events/")
    check(page, axe, "month-student", artifacts)
    page.goto("/events/week")
    check(page, axe, "week-student", artifacts)
    page.goto("/events/feeds")
    check(page, axe, "feeds-student", artifacts)
    webcal = page.locator("a[href^='webcal://']").first.get_attribute("href")
    assert webcal.endswith(".ics")
    google = page.locator("a[href^='https://calendar.google.com']").first.get_attribute("href")
    assert "cid=webcal" in google
    path = "/" + webcal.split("://", 1)[1].split("/", 1)[1]  # the server's own address
    feed = page.request.get(path)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert icalendar.Calendar.from_ical(feed.body())["X-WR-CALNAME"]
    again = page.request.get(path, headers={"If-None-Match": feed.headers["etag"]})
    assert again.status == 304
