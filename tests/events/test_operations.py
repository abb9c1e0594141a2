"""Event workflows through the service: creation, sessions, states and SEQUENCE."""

from datetime import time

import pytest

from intranet.extensions import db
from intranet.models import AuditEvent, EventStatus
from intranet.services import events as service
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.events.helpers import days_ahead
from tests.events.helpers import same_input as _input

pytestmark = pytest.mark.usefixtures("app")


@pytest.mark.pg
def test_create_stores_sessions_and_occurrences(make):
    room = make.room("Ауд. 101")
    event = make.event("meeting", title="Педсовет", room=room)
    assert event.status is EventStatus.PLANNED
    assert event.sequence == 0
    assert len(event.sessions) == 1 and len(event.occurrences) == 1
    assert event.occurrences[0].room_id == room.id
    assert event.sessions[0].uid.endswith("@localhost")
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "events.create"))


@pytest.mark.pg
def test_uid_stays_and_sequence_bumps_on_time_change(make):
    admin = make.user("admin")
    event = make.event("webinar", actor=admin)
    uid = event.sessions[0].uid
    service.update_event(event, _input(event, description="Новое описание"), actor=admin)
    assert event.sequence == 0  # no change to time, place or status
    moved = _input(event)
    moved.sessions[0].start = time(12, 0)
    moved.sessions[0].end = time(13, 0)
    service.update_event(event, moved, actor=admin)
    assert event.sequence == 1
    assert event.sessions[0].uid == uid
    service.confirm(event, actor=admin)
    assert event.sequence == 2 and event.status is EventStatus.CONFIRMED
    service.cancel(event, actor=admin, reason="перенос")
    assert event.sequence == 3 and event.status is EventStatus.CANCELLED
    with pytest.raises(InvalidTransition):
        service.update_event(event, _input(event), actor=admin)


@pytest.mark.pg
def test_teacher_proposes_only_for_own_groups(make):
    teacher = make.user("teacher")
    mine, other = make.group(), make.group()
    make.teaches(teacher, mine)
    event = make.event("other", actor=teacher, groups=[mine])
    assert event.status is EventStatus.PLANNED
    assert event.responsible_id == teacher.id
    with pytest.raises(ValidationFailed) as caught:
        make.event("other", actor=teacher, groups=[other])
    assert caught.value.field == "group_ids"
    with pytest.raises(PermissionDenied):
        service.confirm(event, actor=teacher)


@pytest.mark.pg
def test_student_cannot_plan(make):
    with pytest.raises(PermissionDenied):
        make.event("meeting", actor=make.user("student"))


@pytest.mark.pg
def test_responsible_edits_theirs_only(make):
    admin = make.user("admin")
    teacher = make.user("teacher")
    stranger = make.user("teacher")
    event = make.event("meeting", actor=admin, responsible=teacher)
    service.update_event(event, _input(event, title="Новое название"), actor=teacher)
    assert event.title == "Новое название"
    with pytest.raises(PermissionDenied):
        service.update_event(event, _input(event), actor=stranger)


def test_session_must_end_after_start(make):
    with pytest.raises(ValidationFailed):
        make.event("meeting", start=time(12), end=time(11))


@pytest.mark.pg
def test_demo_exam_with_preparation_and_exam_days(make):
    room = make.room()
    sessions = [
        service.SessionInput(
            "Д-1", days_ahead(10), time(9), time(15), room.id, is_preparation=True
        ),
        service.SessionInput("Д1", days_ahead(11), time(9), time(17), room.id),
        service.SessionInput("Д2", days_ahead(12), time(9), time(17), room.id),
    ]
    event = make.event("demo_exam", sessions=sessions)
    assert [s.label for s in event.sessions] == ["Д-1", "Д1", "Д2"]
    assert event.sessions[0].is_preparation
    assert len({s.uid for s in event.sessions}) == 3
    assert event.demo_exam is not None
