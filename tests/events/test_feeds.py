"""Calendar feeds as calendar apps see them: parsed with icalendar, expanded with
recurring-ical-events, polled with If-None-Match."""

from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest

from intranet.extensions import db
from intranet.i18n import forget_timezone
from intranet.models import Enrollment, Organisation, Role
from intranet.models.base import utcnow
from intranet.services import events as service
from intranet.services.events import serving as feeds
from tests.events.helpers import days_ahead, expand, parse, vevents
from tests.events.helpers import same_input as _same

pytestmark = pytest.mark.usefixtures("app")


def feed_path(feed) -> str:
    return urlsplit(service.feed_urls(feed).https).path


def get(client, feed, etag=None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(feed_path(feed), headers=headers)


def summaries(body: bytes) -> set[str]:
    return {str(v["SUMMARY"]) for v in vevents(body)}


@pytest.fixture
def college(make):
    """A student in group A with a parent; group B with its own student; a teacher of A."""
    a, b = make.group("ИСП-24-1"), make.group("ИСП-24-2")
    student, other = make.user("student"), make.user("student")
    make.enroll(student, a)
    make.enroll(other, b)
    parent = make.user("parent")
    make.guardian(parent, student)
    admin = make.user("admin")
    return {"a": a, "b": b, "student": student, "other": other, "parent": parent, "admin": admin}


@pytest.mark.pg
def test_personal_feed_is_a_valid_calendar(client, make, college):
    make.event("meeting", title="Собрание группы А", groups=[college["a"]], actor=college["admin"])
    make.event("meeting", title="Собрание группы Б", groups=[college["b"]], actor=college["admin"])
    feed = make.calendar_feed(college["student"])
    response = get(client, feed)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["ETag"].startswith('"')
    assert "Last-Modified" in response.headers
    calendar = parse(response.data)
    assert "мои события" in str(calendar["X-WR-CALNAME"])
    assert str(calendar["X-PUBLISHED-TTL"].to_ical().decode()) == "PT1H"
    assert "REFRESH-INTERVAL" in calendar
    zones = list(calendar.walk("VTIMEZONE"))
    assert [str(z["TZID"]) for z in zones] == ["Europe/Moscow"]
    assert summaries(response.data) == {"Собрание группы А"}
    event = vevents(response.data)[0]
    assert event["DTSTART"].params["TZID"] == "Europe/Moscow"
    assert event["DTSTART"].dt.hour == 10


@pytest.mark.pg
def test_parent_feed_shows_only_their_childrens_groups(client, make, college):
    admin = college["admin"]
    make.event("meeting", title="Для группы А", groups=[college["a"]], actor=admin)
    make.event("meeting", title="Для группы Б", groups=[college["b"]], actor=admin)
    make.event("meeting", title="Для всех родителей", roles=[Role.PARENT], actor=admin)
    make.event("meeting", title="Для учителей", roles=[Role.TEACHER], actor=admin)
    body = get(client, make.calendar_feed(college["parent"])).data
    assert summaries(body) == {"Для группы А", "Для всех родителей"}


@pytest.mark.pg
def test_304_when_unchanged_and_200_after_each_change(client, make, college):
    admin, a = college["admin"], college["a"]
    event = make.event("meeting", title="Первое", groups=[a], actor=admin)
    feed = make.calendar_feed(college["student"])

    def poll(etag):
        response = get(client, feed, etag)
        return response.status_code, response.headers["ETag"], response.data

    status, etag, _ = poll(None)
    assert status == 200
    assert poll(etag)[0] == 304
    feeds.clear_caches()  # another process answers from the fingerprint alone
    assert poll(etag)[0] == 304

    # An edit.
    service.update_event(event, _same(event, title="Переименовано"), actor=admin)
    db.session.commit()
    status, etag2, body = poll(etag)
    assert status == 200 and etag2 != etag and summaries(body) == {"Переименовано"}

    # A cancellation: kept, marked cancelled.
    service.cancel(event, actor=admin, reason="болезнь")
    db.session.commit()
    status, etag3, body = poll(etag2)
    assert status == 200 and str(vevents(body)[0]["STATUS"]) == "CANCELLED"

    # A deletion.
    second = make.event("meeting", title="Второе", groups=[a], actor=admin)
    status, etag4, body = poll(etag3)
    assert status == 200 and "Второе" in summaries(body)
    service.delete_event(second, actor=admin)
    db.session.commit()
    status, etag5, body = poll(etag4)
    assert status == 200 and "Второе" not in summaries(body)

    # The student moves to another group.
    make.event("meeting", title="Группа Б", groups=[college["b"]], actor=admin)
    status, etag6, _ = poll(etag5)
    assert (status, etag6) == (304, etag5)  # another group's event: this feed is unchanged
    enrollment = db.session.scalar(
        db.select(Enrollment).where(Enrollment.student_id == college["student"].id)
    )
    enrollment.ends_on = days_ahead(-1)
    make.enroll(college["student"], college["b"])
    status, etag7, body = poll(etag6)
    assert status == 200 and "Группа Б" in summaries(body)
    assert poll(etag7)[0] == 304


@pytest.mark.pg
def test_event_entering_and_leaving_the_window(app, make, college):
    admin = college["admin"]
    make.event("meeting", title="Далеко", groups=[college["a"]], actor=admin, day=days_ahead(370))
    feed = make.calendar_feed(college["student"])
    token = service.feed_urls(feed).https.rsplit("/", 1)[1].removesuffix(".ics")
    now = utcnow()
    first = service.answer(token, now=now)
    assert summaries(first.body) == set()
    later = service.answer(token, now=now + timedelta(days=10))
    assert later.etag != first.etag and summaries(later.body) == {"Далеко"}
    gone = service.answer(token, now=now + timedelta(days=420))
    assert summaries(gone.body) == set()


@pytest.mark.pg
def test_cancelled_events_stay_for_thirty_days(make, college):
    admin = college["admin"]
    make.event("meeting", title="Отменено", groups=[college["a"]], actor=admin, status="cancelled")
    feed = make.calendar_feed(college["student"])
    token = service.feed_urls(feed).https.rsplit("/", 1)[1].removesuffix(".ics")
    body = service.answer(token).body
    assert [str(v["STATUS"]) for v in vevents(body)] == ["CANCELLED"]
    body = service.answer(token, now=utcnow() + timedelta(days=31)).body
    assert vevents(body) == []


@pytest.mark.pg
def test_rotation_and_revocation(client, make, college):
    feed = make.calendar_feed(college["student"])
    old = feed_path(feed)
    assert client.get(old).status_code == 200
    service.rotate_feed(feed, actor=college["student"])
    db.session.commit()
    assert client.get(old).status_code == 404
    assert client.get(feed_path(feed)).status_code == 200
    service.revoke_feed(feed, actor=college["student"])
    db.session.commit()
    assert client.get(feed_path(feed)).status_code == 404
    assert client.get("/feeds/not-a-token.ics").status_code == 404


@pytest.mark.pg
def test_feed_stops_when_the_owner_loses_access(client, make, college):
    feed = make.calendar_feed(college["student"], scope="group", group_id=college["a"].id)
    assert client.get(feed_path(feed)).status_code == 200
    college["student"].is_active = False
    db.session.commit()
    assert client.get(feed_path(feed)).status_code == 404


def test_student_cannot_subscribe_to_another_group(make, college):
    from intranet.services.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        make.calendar_feed(college["student"], scope="group", group_id=college["b"].id)
    with pytest.raises(PermissionDenied):
        make.calendar_feed(college["student"], scope="kind", kind="meeting")


@pytest.mark.pg
def test_recurring_series_expands_as_clients_do(client, make, college):
    admin = college["admin"]
    first_day = days_ahead(7)
    rule = service.Recurrence(freq="WEEKLY", count=6, exdates=(first_day + timedelta(days=14),))
    event = make.event(
        "webinar",
        title="Вебинар",
        day=first_day,
        recurrence=rule,
        roles=[Role.STUDENT],
        actor=admin,
    )
    assert len(event.occurrences) == 5  # six weeks, one of them an exception
    uid = event.sessions[0].uid
    moved, cancelled = event.occurrences[1], event.occurrences[2]
    service.move_occurrence(
        event,
        moved,
        actor=admin,
        day=moved.starts_at.date() + timedelta(days=1),
        start=time(15, 0),
        end=time(16, 0),
        room_id=None,
    )
    service.cancel_occurrence(event, cancelled, actor=admin)
    db.session.commit()
    body = get(client, make.calendar_feed(college["student"])).data
    components = vevents(body)
    assert {str(c["UID"]) for c in components} == {uid}
    assert sum(1 for c in components if "RRULE" in c) == 1
    overrides = [c for c in components if "RECURRENCE-ID" in c]
    assert len(overrides) == 1
    assert overrides[0]["RECURRENCE-ID"].dt == moved.recurrence_at
    occurrences = expand(body)
    assert len(occurrences) == 4  # 6 − exception − cancelled date
    starts = sorted(o["DTSTART"].dt for o in occurrences)
    assert any(s.hour == 15 for s in starts)
    assert all(o["SEQUENCE"] == event.sequence for o in occurrences)


@pytest.mark.pg
def test_uids_are_stable_across_edits_and_sessions_get_their_own(client, make, college):
    admin = college["admin"]
    sessions = [
        service.SessionInput("Д-1", days_ahead(5), time(9), time(13), is_preparation=True),
        service.SessionInput("Д1", days_ahead(6), time(9), time(17)),
    ]
    event = make.event("demo_exam", sessions=sessions, groups=[college["a"]], actor=admin)
    feed = make.calendar_feed(college["student"])
    before = {str(v["UID"]): v for v in vevents(get(client, feed).data)}
    assert len(before) == 2
    service.update_event(event, _same(event, title="ДЭ по 09.02.07"), actor=admin)
    db.session.commit()
    after = {str(v["UID"]): v for v in vevents(get(client, feed).data)}
    assert set(after) == set(before)
    assert all(str(v["SUMMARY"]).startswith("ДЭ по 09.02.07 · Д") for v in after.values())
    dtstamp = next(iter(after.values()))["DTSTAMP"].dt
    assert dtstamp == event.updated_at.replace(microsecond=0)


@pytest.mark.pg
def test_organisation_in_yekaterinburg(client, make, college):
    db.session.add(
        Organisation(full_name="Колледж", short_name="УКИТ", timezone="Asia/Yekaterinburg")
    )
    db.session.commit()
    forget_timezone()
    make.event("meeting", title="Урал", groups=[college["a"]], actor=college["admin"])
    response = get(client, make.calendar_feed(college["student"]))
    calendar = parse(response.data)
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Asia/Yekaterinburg"]
    assert str(calendar["X-WR-CALNAME"]).startswith("УКИТ:")
    event = vevents(response.data)[0]
    assert event["DTSTART"].params["TZID"] == "Asia/Yekaterinburg"
    start = event["DTSTART"].dt
    assert (start.hour, start.astimezone(UTC).hour) == (10, 5)  # UTC+5


@pytest.mark.pg
def test_alarm_per_feed(client, make, college):
    make.event("meeting", groups=[college["a"]], actor=college["admin"])
    feed = make.calendar_feed(college["student"], alarm_minutes=30)
    alarms = list(parse(get(client, feed).data).walk("VALARM"))
    assert len(alarms) == 1 and alarms[0]["TRIGGER"].dt == timedelta(minutes=-30)
    service.set_alarm(feed, None, actor=college["student"])
    db.session.commit()
    assert list(parse(get(client, feed).data).walk("VALARM")) == []


def test_feed_never_passes_the_size_limit(app, client, make, college):
    admin = college["admin"]
    for n in range(12):
        make.event(
            "meeting",
            title=f"Собрание {n:02d}",
            groups=[college["a"]],
            actor=admin,
            day=days_ahead(3 + n),
            commit=False,
        )
    db.session.commit()
    feed = make.calendar_feed(college["student"])
    full = get(client, feed).data
    limit = len(full) - 1500
    app.config["EVENTS_FEED_MAX_BYTES"] = limit
    try:
        feeds.clear_caches()
        body = get(client, feed).data
    finally:
        app.config.pop("EVENTS_FEED_MAX_BYTES")
    assert len(body) <= limit
    calendar = parse(body)
    assert "1 MB" in str(calendar["X-WR-CALDESC"]) or "1 МБ" in str(calendar["X-WR-CALDESC"])
    kept = sorted(summaries(body))
    assert kept and kept == [f"Собрание {n:02d}" for n in range(len(kept))]  # the nearest ones


@pytest.mark.pg
def test_if_modified_since(client, make, college):
    feed = make.calendar_feed(college["student"])
    first = get(client, feed)
    later = first.headers["Last-Modified"]
    again = client.get(feed_path(feed), headers={"If-Modified-Since": later})
    assert again.status_code == 304


@pytest.mark.pg
def test_public_feed_has_open_events_only(client, make, college):
    make.event("meeting", title="Открытое", is_open=True, actor=college["admin"])
    make.event("meeting", title="Внутреннее", roles=[Role.STUDENT], actor=college["admin"])
    body = get(client, make.calendar_feed(college["other"], scope="public")).data
    assert summaries(body) == {"Открытое"}


def test_feed_get_records_use_only_when_the_database_is_free(app, make, college, monkeypatch):
    """In a test the outer transaction holds SQLite's write lock: the poll still answers."""
    feed = make.calendar_feed(college["student"])
    token = service.feed_urls(feed).https.rsplit("/", 1)[1].removesuffix(".ics")
    started = datetime.now(UTC)
    assert service.answer(token).status == 200
    assert (datetime.now(UTC) - started).total_seconds() < 5
