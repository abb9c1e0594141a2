"""The calendar pages and the event pages through the test client."""

from datetime import time, timedelta

import pytest
from sqlalchemy import event as sa_event

from intranet.extensions import db
from intranet.models import AuditEvent, Event, EventStatus, Role
from tests.events.helpers import days_ahead, parse, vevents

pytestmark = pytest.mark.usefixtures("app")


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


def count_queries(client, path) -> tuple[int, object]:
    counter = QueryCounter()
    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.get(path)
    finally:
        sa_event.remove(engine, "before_cursor_execute", counter)
    return counter.count, response


def test_month_page_shows_events_with_a_constant_number_of_queries(client, login_as, make):
    admin = login_as("admin")
    day = days_ahead(1)
    month = day.strftime("%Y-%m")
    make.event("meeting", title="Первое собрание", day=day, actor=admin)
    first, page = count_queries(client, f"/events/?month={month}")
    assert page.status_code == 200
    assert "Первое собрание" in page.text
    for n in range(8):
        make.event(
            "webinar",
            title=f"Вебинар {n}",
            day=day,
            start=time(12 + n),
            end=time(12 + n, 45),
            actor=admin,
            commit=False,
        )
    db.session.commit()
    second, page = count_queries(client, f"/events/?month={month}")
    assert page.status_code == 200
    assert second == first
    assert "ещё" in page.text  # more than fit in a day's cell


def test_student_sees_own_groups_events_only(client, login_as, make):
    admin = make.user("admin")
    mine, other = make.group(), make.group()
    student = login_as("student")
    make.enroll(student, mine)
    day = days_ahead(2)
    make.event("meeting", title="Наше собрание", groups=[mine], day=day, actor=admin)
    hidden = make.event(
        "meeting", title="Чужое собрание", groups=[other], day=day, actor=admin, start=time(14)
    )
    page = client.get(f"/events/?month={day:%Y-%m}")
    assert "Наше собрание" in page.text and "Чужое собрание" not in page.text
    assert client.get(f"/events/{hidden.id}").status_code == 403
    week = client.get(f"/events/week?date={day.isoformat()}")
    assert "Наше собрание" in week.text and "Чужое собрание" not in week.text
    data = client.get(
        f"/events/range.json?start={day.isoformat()}&end={(day + timedelta(days=1)).isoformat()}"
    ).get_json()
    assert [e["title"] for e in data["events"]] == ["Наше собрание"]


def test_range_json_refuses_long_or_reversed_ranges(client, login_as):
    login_as("teacher")
    assert client.get("/events/range.json?start=2026-01-01&end=2026-12-31").status_code == 400
    assert client.get("/events/range.json?start=2026-02-01&end=2026-01-01").status_code == 400
    assert client.get("/events/range.json?start=bad&end=worse").status_code == 200


def _session_fields(n, day, start, end, label="", room=""):
    return {
        f"sessions-{n}-label": label,
        f"sessions-{n}-day": day.isoformat(),
        f"sessions-{n}-start": start,
        f"sessions-{n}-end": end,
        f"sessions-{n}-room_id": room,
        f"sessions-{n}-location": "",
    }


@pytest.mark.pg
def test_admin_schedules_a_demo_exam_through_the_form(client, login_as, make):
    admin = login_as("admin")
    group = make.group("ИСП-22-3")
    room = make.room("Мастерская 5")
    spec = make.speciality("09.02.07")
    assert client.get("/events/new").status_code == 200
    form = client.get("/events/new?kind=demo_exam")
    assert form.status_code == 200 and "Д-1" in form.text
    day = days_ahead(20)
    data = {
        "title": "ДЭ 09.02.07 ИСП-22-3",
        "responsible_id": str(admin.id),
        "attestation": "gia",
        "level": "profile",
        "speciality_id": str(spec.id),
        "kod": "09.02.07-2-2026",
        "exam_site": "ЦПДЭ «Мастерская 5»",
        "group_ids": [str(group.id)],
        "room_id": str(room.id),
        **_session_fields(0, day, "09:00", "15:00", "Д-1"),
        "sessions-0-is_preparation": "y",
        **_session_fields(1, day + timedelta(days=1), "09:00", "17:00", "Д1"),
    }
    response = client.post("/events/new?kind=demo_exam", data=data)
    assert response.status_code == 302, response.text
    event = db.session.scalar(db.select(Event).where(Event.title == "ДЭ 09.02.07 ИСП-22-3"))
    page = client.get(response.headers["Location"])
    assert "ЦПДЭ «Мастерская 5»" in page.text and "09.02.07-2-2026" in page.text
    ics = client.get(f"/events/{event.id}/event.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert len(vevents(ics.data)) == 2
    assert {str(v["LOCATION"]) for v in vevents(ics.data)} == {"Мастерская 5, Корпус 1"}


@pytest.mark.pg
def test_conflict_is_refused_naming_the_other_event_unless_an_admin_overrides(
    client, login_as, make
):
    admin = login_as("admin")
    room = make.room("Актовый зал")
    day = days_ahead(9)
    make.event("meeting", title="Совет колледжа", room=room, day=day, actor=make.user("deputy"))
    data = {
        "title": "Вебинар для педагогов",
        "responsible_id": str(admin.id),
        "room_id": str(room.id),
        **_session_fields(0, day, "10:30", "12:00"),
    }
    refused = client.post("/events/new?kind=webinar", data=data)
    assert refused.status_code == 422
    assert "Актовый зал" in refused.text and "Совет колледжа" in refused.text
    assert db.session.scalar(db.select(Event).where(Event.title == "Вебинар для педагогов")) is None
    saved = client.post(
        "/events/new?kind=webinar", data={**data, "override_reason": "Зал делим пополам"}
    )
    assert saved.status_code == 302
    audit = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "events.conflict_override")
    )
    assert audit.summary == "Зал делим пополам"
    assert "Совет колледжа" in " ".join(audit.data["clashes"])


def test_deputy_cannot_override_conflicts(client, login_as, make):
    deputy = login_as("deputy")
    room = make.room()
    day = days_ahead(11)
    make.event("meeting", room=room, day=day)
    data = {
        "title": "Совещание",
        "responsible_id": str(deputy.id),
        "room_id": str(room.id),
        "override_reason": "очень нужно",
        **_session_fields(0, day, "10:00", "11:00"),
    }
    assert client.post("/events/new?kind=meeting", data=data).status_code == 422


def test_teacher_proposal_waits_for_confirmation(client, login_as, make):
    teacher = login_as("teacher")
    group = make.group()
    make.teaches(teacher, group)
    day = days_ahead(15)
    response = client.post(
        "/events/new?kind=other",
        data={
            "title": "Экскурсия",
            "group_ids": [str(group.id)],
            **_session_fields(0, day, "13:00", "15:00"),
        },
    )
    assert response.status_code == 302, _problems(response.text)
    event = db.session.scalar(db.select(Event).where(Event.title == "Экскурсия"))
    assert event.status is EventStatus.PLANNED and event.responsible_id == teacher.id
    assert client.post(f"/events/{event.id}/confirm").status_code == 403
    page = client.get(f"/events/{event.id}")
    assert "Подтвердить" not in page.text and "Изменить" in page.text


def test_form_keeps_entry_and_explains_bad_input(client, login_as):
    login_as("admin")
    response = client.post(
        "/events/new?kind=meeting",
        data={"title": "Собрание", **_session_fields(0, days_ahead(3), "12:00", "11:00")},
    )
    assert response.status_code == 422
    assert 'value="Собрание"' in response.text
    assert "должно заканчиваться позже" in response.text


def test_add_session_row_without_javascript(client, login_as):
    login_as("admin")
    response = client.post(
        "/events/new?kind=demo_exam",
        data={
            "title": "ДЭ",
            "add_session": "1",
            **_session_fields(0, days_ahead(3), "09:00", "10:00"),
        },
    )
    assert response.status_code == 200
    assert 'name="sessions-1-day"' in response.text and 'value="ДЭ"' in response.text


@pytest.mark.pg
def test_states_and_cancellation_through_the_pages(client, login_as, make):
    admin = login_as("admin")
    event = make.event("meeting", actor=admin)
    assert client.post(f"/events/{event.id}/confirm").status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).status is EventStatus.CONFIRMED
    assert client.post(f"/events/{event.id}/cancel", data={"reason": "карантин"}).status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.status is EventStatus.CANCELLED and event.cancel_reason == "карантин"
    page = client.get(f"/events/{event.id}")
    assert "карантин" in page.text
    assert client.get(f"/events/{event.id}/edit").status_code == 302  # no longer editable
    assert client.post(f"/events/{event.id}/delete").status_code == 302
    assert client.get(f"/events/{event.id}").status_code == 404


def test_people_page_adds_outside_expert_and_group_students(client, login_as, make):
    admin = login_as("admin")
    group = make.group()
    student = make.user("student")
    make.enroll(student, group)
    event = make.event("demo_exam", groups=[group], actor=admin)
    response = client.post(
        f"/events/{event.id}/people",
        data={
            "role": "chief_expert",
            "email": "expert@ural.example",
            "name": "Петров Пётр Петрович",
            "organisation": "ООО «Урал»",
        },
    )
    assert response.status_code == 302
    assert client.post(f"/events/{event.id}/people/students").status_code == 302
    page = client.get(f"/events/{event.id}/people")
    assert "Петров Пётр Петрович" in page.text and student.last_name in page.text
    missing_name = client.post(
        f"/events/{event.id}/people", data={"role": "expert", "email": "nobody@x.example"}
    )
    assert missing_name.status_code == 422 and "укажите ФИО" in missing_name.text


def test_feeds_page_creates_rotates_and_revokes(client, login_as):
    login_as("student")
    page = client.get("/events/feeds")
    assert page.status_code == 200 and "Подписок пока нет" in page.text
    assert (
        client.post("/events/feeds", data={"scope": "personal", "alarm_minutes": "30"}).status_code
        == 302
    )
    page = client.get("/events/feeds")
    assert "webcal://" in page.text and "calendar.google.com" in page.text
    from intranet.models import CalendarFeed

    feed = db.session.scalar(db.select(CalendarFeed))
    assert feed.alarm_minutes == 30
    assert client.post(f"/events/feeds/{feed.id}/rotate").status_code == 302
    db.session.expire_all()
    assert db.session.get(CalendarFeed, feed.id).token_version == 1
    assert client.post(f"/events/feeds/{feed.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(CalendarFeed, feed.id).revoked_at is not None
    refused = client.post("/events/feeds", data={"scope": "kind", "kind": "meeting"})
    assert refused.status_code == 422  # not offered to a student


def test_subscribe_button_on_the_event_page(client, login_as, make):
    user = login_as("teacher")
    event = make.event("meeting", roles=[Role.TEACHER])
    page = client.get(f"/events/{event.id}")
    assert "Подписаться на мои события" in page.text
    response = client.post("/events/subscribe", data={"next": f"/events/{event.id}#subscribe"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#subscribe")
    page = client.get(f"/events/{event.id}")
    assert "webcal://" in page.text
    feed_url = page.text.split('id="feed-url" type="text" readonly value="')[1].split('"')[0]
    body = client.get(feed_url.replace("http://localhost", "")).data
    assert any(str(v["SUMMARY"]) == event.title for v in vevents(body))
    assert user.id


def test_rooms_are_managed_by_admins(client, login_as):
    login_as("admin")
    assert client.get("/events/rooms").status_code == 200
    assert (
        client.post(
            "/events/rooms/new", data={"name": "Студия", "building": "Корпус 2", "is_active": "y"}
        ).status_code
        == 302
    )
    again = client.post("/events/rooms/new", data={"name": "студия"})
    assert again.status_code == 422 and "уже есть" in again.text
    assert "Студия" in client.get("/events/rooms").text


@pytest.mark.pg
def test_move_and_cancel_a_date_of_a_series(client, login_as, make):
    from intranet.services import events as service

    admin = login_as("admin")
    event = make.event(
        "meeting",
        actor=admin,
        day=days_ahead(4),
        recurrence=service.Recurrence(freq="WEEKLY", count=4),
    )
    second, third = event.occurrences[1], event.occurrences[2]
    page = client.get(f"/events/{event.id}/dates/{second.id}/move")
    assert page.status_code == 200
    moved = client.post(
        f"/events/{event.id}/dates/{second.id}/move",
        data={
            "day": (second.starts_at.date() + timedelta(days=1)).isoformat(),
            "start": "14:00",
            "end": "15:00",
            "room_id": "",
        },
    )
    assert moved.status_code == 302
    assert client.post(f"/events/{event.id}/dates/{third.id}/cancel").status_code == 302
    ics = client.get(f"/events/{event.id}/event.ics").data
    components = vevents(ics)
    assert len(components) == 2  # the series and the moved date
    assert len(parse(ics).walk("VEVENT")[0]["EXDATE"].dts) == 1


def _problems(text: str) -> list[str]:
    import re

    return re.findall(r"(?:invalid-feedback|alert-danger)[^>]*>(.*?)</div>", text, re.S)


def test_calendar_pages_are_rendered_again_after_a_change(client, login_as, make):
    from intranet.services import events as service
    from tests.events.helpers import same_input

    admin = login_as("admin")
    day = days_ahead(2)
    event = make.event("meeting", title="Старое название", day=day, actor=admin)
    for path in (f"/events/?month={day:%Y-%m}", f"/events/week?date={day.isoformat()}"):
        assert "Старое название" in client.get(path).text
    service.update_event(event, same_input(event, title="Новое название"), actor=admin)
    db.session.commit()
    for path in (f"/events/?month={day:%Y-%m}", f"/events/week?date={day.isoformat()}"):
        page = client.get(path).text
        assert "Новое название" in page and "Старое название" not in page


def test_students_of_different_groups_do_not_share_a_cached_calendar(app, make):
    admin = make.user("admin")
    first, second = make.group(), make.group()
    alice, bob = make.user("student"), make.user("student")
    make.enroll(alice, first)
    make.enroll(bob, second)
    day = days_ahead(3)
    make.event("meeting", title="Только для первой", groups=[first], day=day, actor=admin)
    month = f"/events/?month={day:%Y-%m}"
    pages = {}
    for student in (alice, bob):
        client = app.test_client()
        from tests import factories

        sid = factories.login_session(student)
        with client.session_transaction() as session:
            session["_user_id"] = student.get_id()
            session["_fresh"] = True
            session["sid"] = sid
        pages[student.id] = client.get(month).text
    assert "Только для первой" in pages[alice.id]
    assert "Только для первой" not in pages[bob.id]
