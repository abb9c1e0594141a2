"""Invitations, cancellations and reminders: the e-mails' text/calendar parts as clients read
them (METHOD, ORGANIZER, ATTENDEE, UID, SEQUENCE)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from intranet.extensions import db
from intranet.i18n import local_zone
from intranet.models import EventOccurrence, PersonRole
from intranet.services import events as service
from intranet.services.events import notify
from tests.events.helpers import calendar_parts, days_ahead, outbox

pytestmark = pytest.mark.usefixtures("app")


def _parts(messages):
    return [(method, cal) for m in messages for method, cal in calendar_parts(m)]


@pytest.mark.pg
def test_invitation_then_change_then_cancellation(make):
    admin = make.user("admin", email="admin@college.example")
    teacher = make.user("teacher", email="teacher@college.example")
    event = make.event("meeting", title="Педсовет", actor=admin, responsible=teacher)
    service.add_person(
        event,
        actor=admin,
        role=PersonRole.EXPERT,
        email="guest@outside.example",
        name="Гость Извне",
    )
    db.session.commit()
    sent = outbox()
    assert {tuple(m.recipients) for m in sent} == {
        ("teacher@college.example",),
        ("guest@outside.example",),
    }
    method, cal = _parts(sent)[0]
    assert method == "REQUEST"
    assert str(cal["METHOD"]) == "REQUEST"
    vevent = cal.walk("VEVENT")[0]
    uid = str(vevent["UID"])
    assert uid == event.sessions[0].uid
    assert str(vevent["ORGANIZER"]) == "mailto:teacher@college.example"
    assert vevent["ORGANIZER"].params["CN"] == teacher.full_name
    assert str(vevent["ATTENDEE"]).startswith("mailto:")
    assert int(vevent["SEQUENCE"]) == 0
    assert str(vevent["STATUS"]) == "TENTATIVE"

    before = len(outbox())
    service.confirm(event, actor=admin)
    db.session.commit()
    confirmed = _parts(outbox()[before:])
    assert {m for m, _ in confirmed} == {"REQUEST"}
    assert all(int(c.walk("VEVENT")[0]["SEQUENCE"]) == 1 for _, c in confirmed)
    assert all(str(c.walk("VEVENT")[0]["STATUS"]) == "CONFIRMED" for _, c in confirmed)

    before = len(outbox())
    service.cancel(event, actor=admin, reason="Перенос")
    db.session.commit()
    cancelled = _parts(outbox()[before:])
    assert len(cancelled) == 2
    for method, cal in cancelled:
        vevent = cal.walk("VEVENT")[0]
        assert method == "CANCEL" and str(cal["METHOD"]) == "CANCEL"
        assert str(vevent["UID"]) == uid
        assert int(vevent["SEQUENCE"]) == 2
        assert str(vevent["STATUS"]) == "CANCELLED"
        assert "ORGANIZER" in vevent and "ATTENDEE" in vevent
    attendees = {str(c.walk("VEVENT")[0]["ATTENDEE"]) for _, c in cancelled}
    assert attendees == {"mailto:teacher@college.example", "mailto:guest@outside.example"}


@pytest.mark.pg
def test_cancelling_one_date_sends_its_recurrence_id(make):
    admin = make.user("admin", email="admin2@college.example")
    event = make.event(
        "webinar",
        actor=admin,
        day=days_ahead(6),
        recurrence=service.Recurrence(freq="WEEKLY", count=3),
    )
    before = len(outbox())
    second = event.occurrences[1]
    service.cancel_occurrence(event, second, actor=admin)
    db.session.commit()
    [(method, cal)] = _parts(outbox()[before:])
    vevent = cal.walk("VEVENT")[0]
    assert method == "CANCEL"
    assert vevent["RECURRENCE-ID"].dt == second.recurrence_at.astimezone(local_zone())
    assert int(vevent["SEQUENCE"]) == event.sequence == 1


@pytest.mark.pg
def test_people_who_switched_invitations_off_get_none(make):
    from intranet.services import mail

    admin = make.user("admin", email="admin3@college.example")
    teacher = make.user("teacher", email="quiet@college.example")
    mail.save_preferences(teacher, {"events.invitation": False})
    make.event("meeting", actor=admin, responsible=teacher)
    assert all("quiet@college.example" not in m.recipients for m in outbox())


@pytest.mark.pg
def test_reminders_the_day_before_once(app, make):
    admin = make.user("admin", email="admin4@college.example")
    teacher = make.user("teacher", email="remind@college.example")
    tomorrow = days_ahead(1)
    event = make.event(
        "meeting",
        actor=admin,
        responsible=teacher,
        day=tomorrow,
        start=time(12),
        status="confirmed",
    )
    later = make.event("meeting", actor=admin, responsible=teacher, day=days_ahead(3))
    zone = local_zone()
    morning = datetime.combine(tomorrow - timedelta(days=1), time(10), zone).astimezone(UTC)
    night = datetime.combine(tomorrow - timedelta(days=1), time(6), zone).astimezone(UTC)
    before = len(outbox())
    assert notify.send_reminders(now=night) == 0  # not before the morning
    assert notify.send_reminders(now=morning) == 1
    assert notify.send_reminders(now=morning + timedelta(minutes=10)) == 0  # once
    db.session.commit()
    reminders = [m for m in outbox()[before:] if m.kind == "events.reminder"]
    assert [m.recipients for m in reminders] == [["remind@college.example"]]
    assert event.title in reminders[0].subject
    occurrence = db.session.scalar(
        db.select(EventOccurrence).where(EventOccurrence.event_id == later.id)
    )
    assert occurrence.reminded_at is None


def test_reminder_job_is_registered():
    from intranet.jobs import JOBS

    assert notify.REMINDER_JOB in JOBS


@pytest.mark.pg
def test_removing_a_session_cancels_its_uid(make):
    from tests.events.helpers import same_input

    admin = make.user("admin", email="admin5@college.example")
    sessions = [
        service.SessionInput("Д1", days_ahead(8), time(9), time(12)),
        service.SessionInput("Д2", days_ahead(9), time(9), time(12)),
    ]
    event = make.event("demo_exam", actor=admin, sessions=sessions)
    gone = event.sessions[1].uid
    data = same_input(event)
    data.sessions = data.sessions[:1]
    before = len(outbox())
    service.update_event(event, data, actor=admin)
    db.session.commit()
    parts = _parts(outbox()[before:])
    cancels = [c.walk("VEVENT")[0] for m, c in parts if m == "CANCEL"]
    assert [str(v["UID"]) for v in cancels] == [gone]
    assert "RECURRENCE-ID" not in cancels[0]
