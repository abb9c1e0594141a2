"""Event workflows: create, edit, confirm, complete, cancel, delete; people, broadcast, and
single instances of a series. Each checks permission and state, flushes, audits and queues
the e-mails; the request commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from intranet import policy
from intranet.extensions import db
from intranet.i18n import local_zone
from intranet.models import (
    Competition,
    DemoExam,
    Department,
    Event,
    EventAudienceRole,
    EventKind,
    EventSession,
    EventStatus,
    Role,
    Room,
    Speciality,
    StudyGroup,
    User,
)
from intranet.models.base import fold, utcnow
from intranet.models.events import (
    CATEGORIES_BY_KIND,
    COMPETITION_KINDS,
    RECURRING_KINDS,
    Attestation,
    BroadcastStatus,
    CompetitionCategory,
    CompetitionStage,
    ExamLevel,
)
from intranet.models.people import STAFF_ROLES
from intranet.services import audit
from intranet.services.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from intranet.services.events import notify
from intranet.services.events.conflicts import Clash, Slot, event_resources, find_clashes
from intranet.services.events.recurrence import (
    Recurrence,
    build_rule,
    check_series,
    sync_occurrences,
)
from intranet.services.events.state import lock_schedule

MAX_SESSIONS = 30


class ScheduleConflict(Conflict):
    """The schedule clashes with other events; `clashes` name them."""

    def __init__(self, clashes: list[Clash]) -> None:
        super().__init__(" ".join(c.message() for c in clashes))
        self.clashes = clashes


@dataclass
class SessionInput:
    label: str
    day: date
    start: time
    end: time
    room_id: int | None = None
    location: str = ""
    is_preparation: bool = False
    id: int | None = None  # an existing session, when editing


@dataclass
class DemoExamInput:
    attestation: Attestation
    level: ExamLevel
    speciality_id: int | None = None
    kod: str = ""
    site: str = ""


@dataclass
class CompetitionInput:
    stage: CompetitionStage
    category: CompetitionCategory
    competency: str = ""
    site: str = ""


@dataclass
class EventInput:
    kind: EventKind
    title: str
    sessions: list[SessionInput]
    description: str = ""
    responsible_id: int | None = None
    room_id: int | None = None
    location: str = ""
    is_open: bool = False
    stream_url: str = ""
    recording_kept_until: date | None = None
    group_ids: list[int] = field(default_factory=list)
    department_ids: list[int] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    recurrence: Recurrence | None = None
    demo_exam: DemoExamInput | None = None
    competition: CompetitionInput | None = None
    override_reason: str = ""  # an admin saves despite conflicts, giving this reason


# --- helpers ---------------------------------------------------------------------------------


def is_manager(user: User) -> bool:
    return policy.can(user, "events.manage")


def own_group_ids(user: User) -> set[int]:
    """The groups a tutor or teacher may propose events for."""
    roles = policy.effective_roles(user)
    groups: set[int] = set()
    if Role.TUTOR in roles:
        groups |= policy.tutored_group_ids(user)
    if Role.TEACHER in roles:
        groups |= policy.taught_group_ids(user)
    return groups


def new_uid() -> str:
    domain = current_app.config.get("EVENTS_UID_DOMAIN") or (
        urlsplit(current_app.config["BASE_URL"]).hostname or "intranet.local"
    )
    return f"{uuid.uuid4()}@{domain}"


def touch(event: Event) -> None:
    """Mark the event changed: DTSTAMP and feed fingerprints follow updated_at."""
    event.updated_at = utcnow()


def local_moment(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, zone).astimezone(UTC)


def _signature(event: Event) -> tuple:
    """What clients must hear about: time, place, status (SEQUENCE bumps when it changes)."""
    return (
        event.status,
        event.room_id,
        event.location,
        event.rrule,
        tuple(event.exdates or ()),
        tuple(_session_signature(event, s) for s in event.sessions),
        tuple(
            sorted(
                (o.session_id, o.recurrence_at, o.starts_at, o.ends_at, o.room_id, o.is_cancelled)
                for o in event.occurrences
                if o.is_moved or o.is_cancelled
            )
        ),
    )


def _session_signature(event: Event, session: EventSession) -> tuple:
    return (
        session.uid,
        session.starts_at,
        session.ends_at,
        session.room_id or event.room_id,
        session.location or event.location,
        session.label,
    )


def clean(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


# --- validation ------------------------------------------------------------------------------


def _check_input(data: EventInput, *, event: Event | None, actor: User, manager: bool) -> None:
    if not data.title or not data.title.strip():
        raise ValidationFailed(_("Enter the title."), "title")
    if len(data.title.strip()) > 200:
        raise ValidationFailed(_("The title is too long (200 characters at most)."), "title")
    if data.stream_url:
        parts = urlsplit(data.stream_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationFailed(
                _("Enter the stream link as a full address starting with https://."), "stream_url"
            )
    if not data.sessions:
        raise ValidationFailed(_("Add at least one day or session with its time."), "sessions")
    if len(data.sessions) > MAX_SESSIONS:
        raise ValidationFailed(
            _("An event has at most %(n)d sessions.", n=MAX_SESSIONS), "sessions"
        )
    for item in data.sessions:
        if item.end <= item.start:
            raise ValidationFailed(
                _("A session must end after it starts (%(label)s).", label=item.label or "—"),
                "sessions",
            )
    if data.recurrence is not None:
        if data.kind not in RECURRING_KINDS:
            raise ValidationFailed(
                _("Only webinars, meetings and other events can repeat."), "repeat"
            )
        if len(data.sessions) != 1:
            raise ValidationFailed(
                _("A repeating event has exactly one session: the first occurrence."), "repeat"
            )
    if data.kind is EventKind.DEMO_EXAM and data.demo_exam is None:
        raise ValidationFailed(_("Fill in the exam's details."), "attestation")
    if data.kind in COMPETITION_KINDS:
        if data.competition is None:
            raise ValidationFailed(_("Fill in the championship's details."), "stage")
        if data.competition.category not in CATEGORIES_BY_KIND[data.kind]:
            raise ValidationFailed(
                _("This category does not exist for this championship."), "category"
            )
        if data.kind is EventKind.ABILYMPICS and data.competition.stage is (
            CompetitionStage.INTERREGIONAL
        ):
            raise ValidationFailed(_("«Abilympics» has no interregional stage."), "stage")
        if not data.competition.competency.strip():
            raise ValidationFailed(_("Enter the competency."), "competency")
    _check_references(data)
    if manager:
        return
    # Teachers and tutors: their own groups; the rest stays as a manager set it.
    current_groups = {g.id for g in event.groups} if event is not None else set()
    allowed = own_group_ids(actor) | current_groups
    if event is None and not data.group_ids:
        raise ValidationFailed(_("Choose at least one of your groups."), "group_ids")
    if not set(data.group_ids) <= allowed:
        raise ValidationFailed(_("You can plan events only for your own groups."), "group_ids")
    current_departments = {d.id for d in event.departments} if event is not None else set()
    current_roles = set(event.role_set) if event is not None else set()
    if set(data.department_ids) != current_departments or set(data.roles) != current_roles:
        raise ValidationFailed(
            _("Only the administration sets departments and roles as the audience."),
            "department_ids",
        )


def _check_references(data: EventInput) -> None:
    def missing(model, ids) -> bool:
        ids = {i for i in ids if i is not None}
        if not ids:
            return False
        found = db.session.scalar(select(func.count()).select_from(model).where(model.id.in_(ids)))
        return found != len(ids)

    if missing(StudyGroup, data.group_ids):
        raise ValidationFailed(_("One of the groups no longer exists."), "group_ids")
    if missing(Department, data.department_ids):
        raise ValidationFailed(_("One of the departments no longer exists."), "department_ids")
    if missing(Room, [data.room_id, *(s.room_id for s in data.sessions)]):
        raise ValidationFailed(_("One of the rooms no longer exists."), "room_id")
    if data.demo_exam is not None and missing(Speciality, [data.demo_exam.speciality_id]):
        raise ValidationFailed(_("The speciality no longer exists."), "speciality_id")
    if data.responsible_id is not None:
        person = db.session.get(User, data.responsible_id)
        if person is None or not person.is_active or not (person.role_set & STAFF_ROLES):
            raise ValidationFailed(
                _("The responsible person must be an active member of staff."), "responsible_id"
            )


# --- create and edit -------------------------------------------------------------------------


def create_event(data: EventInput, *, actor: User) -> Event:
    """Schedule a new event (teachers' proposals stay planned until confirmed)."""
    if not policy.can(actor, "events.create"):
        raise PermissionDenied(_("You cannot plan events."))
    manager = is_manager(actor)
    _check_input(data, event=None, actor=actor, manager=manager)
    lock_schedule()
    event = Event(
        uid=new_uid(),
        kind=data.kind,
        status=EventStatus.PLANNED,
        created_by_id=actor.id,
        sequence=0,
        exdates=[],
        title="",
        title_key="",
        responsible_id=data.responsible_id if manager and data.responsible_id else actor.id,
        # A new event's collections are known to be empty (relationships never lazy-load).
        sessions=[],
        occurrences=[],
        people=[],
        groups=[],
        departments=[],
        audience_roles=[],
        demo_exam=None,
        competition=None,
    )
    db.session.add(event)
    _apply(event, data, manager=manager)
    db.session.flush()
    _schedule(event, data, local_zone())
    db.session.flush()
    check_conflicts(event, actor=actor, override_reason=data.override_reason)
    audit.record(
        "events.create",
        actor=actor,
        obj=event,
        summary=f"{event.title} ({event.kind.value})",
        kind=event.kind.value,
    )
    notify.send_invitations(event)
    return event


def update_event(event: Event, data: EventInput, *, actor: User) -> Event:
    """Edit an event (managers: any; the responsible person: theirs)."""
    if not policy.can(actor, "events.edit", event):
        raise PermissionDenied(_("You cannot edit this event."))
    if event.status in (EventStatus.COMPLETED, EventStatus.CANCELLED):
        raise InvalidTransition(_("A completed or cancelled event can no longer be edited."))
    if data.kind is not event.kind:
        raise ValidationFailed(_("The kind of an event cannot be changed."), "kind")
    manager = is_manager(actor)
    _check_input(data, event=event, actor=actor, manager=manager)
    lock_schedule()
    before = _signature(event)
    sessions_before = {s.uid: _session_signature(event, s) for s in event.sessions}
    old_sessions = {s.uid: s for s in event.sessions}
    if not manager:
        data.responsible_id = event.responsible_id
        data.is_open = event.is_open
    elif data.responsible_id is None:
        data.responsible_id = event.responsible_id
    previous_responsible = event.responsible_id
    event.responsible_id = data.responsible_id
    _apply(event, data, manager=manager)
    _schedule(event, data, local_zone())
    changed = _signature(event) != before
    if changed:
        event.sequence += 1
    touch(event)
    db.session.flush()
    check_conflicts(event, actor=actor, override_reason=data.override_reason)
    audit.record(
        "events.update",
        actor=actor,
        obj=event,
        summary=event.title,
        sequence=event.sequence,
        schedule_changed=changed,
    )
    removed = [s for uid, s in old_sessions.items() if uid not in {x.uid for x in event.sessions}]
    if removed:
        notify.send_cancellations(event, sessions=removed)
    if changed:
        after = _signature(event)
        if after[:5] != before[:5]:  # status, the event's place, the rule: every session
            altered = list(event.sessions)
        else:
            altered = [
                s
                for s in event.sessions
                if sessions_before.get(s.uid) != _session_signature(event, s)
            ]
        notify.send_invitations(event, sessions=altered or None)
    if previous_responsible != event.responsible_id:
        notify.send_invitations(event, only_responsible=True)
    return event


def _apply(event: Event, data: EventInput, *, manager: bool) -> None:
    """Copy the form's fields onto the event (not the sessions)."""
    event.title = clean(data.title, 200)
    event.title_key = fold(event.title)
    event.description = (data.description or "").strip()[:20000]
    event.room_id = data.room_id
    event.location = clean(data.location, 300)
    if manager:
        event.is_open = bool(data.is_open)
    event.stream_url = (data.stream_url or "").strip()[:500]
    if event.stream_url and event.broadcast_status is None:
        event.broadcast_status = BroadcastStatus.PLANNED
    if not event.stream_url:
        event.broadcast_status = None
    event.recording_kept_until = data.recording_kept_until
    groups = (
        list(db.session.scalars(select(StudyGroup).where(StudyGroup.id.in_(data.group_ids))))
        if data.group_ids
        else []
    )
    event.groups = sorted(groups, key=lambda g: g.name_key)
    departments = (
        list(db.session.scalars(select(Department).where(Department.id.in_(data.department_ids))))
        if data.department_ids
        else []
    )
    event.departments = sorted(departments, key=lambda d: d.name_key)
    wanted_roles = set(data.roles)
    event.audience_roles = [r for r in event.audience_roles if r.role in wanted_roles] + [
        EventAudienceRole(role=r)
        for r in sorted(wanted_roles - {x.role for x in event.audience_roles})
    ]
    if data.demo_exam is not None:
        exam = event.demo_exam or DemoExam()
        exam.attestation = data.demo_exam.attestation
        exam.level = data.demo_exam.level
        speciality_id = data.demo_exam.speciality_id
        exam.speciality = db.session.get(Speciality, speciality_id) if speciality_id else None
        exam.kod = clean(data.demo_exam.kod, 60)
        exam.site = clean(data.demo_exam.site, 300)
        event.demo_exam = exam
    if data.competition is not None:
        contest = event.competition or Competition()
        contest.stage = data.competition.stage
        contest.category = data.competition.category
        contest.competency = clean(data.competition.competency, 200)
        contest.site = clean(data.competition.site, 300)
        event.competition = contest


def _schedule(event: Event, data: EventInput, zone: ZoneInfo) -> None:
    """Sessions from the form (matched by id, so UIDs stay), the rule, then occurrences."""
    existing = {s.id: s for s in event.sessions}
    kept: list[EventSession] = []
    for position, item in enumerate(data.sessions):
        session = existing.pop(item.id, None) if item.id is not None else None
        if session is None:
            session = EventSession(uid=new_uid())
        session.position = position
        session.label = clean(item.label, 60)
        session.is_preparation = bool(item.is_preparation)
        session.starts_at = local_moment(item.day, item.start, zone)
        session.ends_at = local_moment(item.day, item.end, zone)
        session.room_id = item.room_id
        session.location = clean(item.location, 300)
        kept.append(session)
    removed_ids = set(existing)
    for occ in list(event.occurrences):
        if occ.session_id in removed_ids:
            event.occurrences.remove(occ)
    event.sessions = kept
    if data.recurrence is not None:
        rule = build_rule(data.recurrence, zone)
        exdates = sorted({d.isoformat() for d in data.recurrence.exdates})
        check_series(rule, exdates, kept[0].starts_at.astimezone(zone))
        event.rrule, event.exdates = rule, exdates
    else:
        event.rrule, event.exdates = None, []
    db.session.flush()  # sessions get their ids
    sync_occurrences(event, zone)


def check_conflicts(event: Event, *, actor: User, override_reason: str) -> None:
    """Refuse clashes, unless an admin overrides them with a reason (recorded)."""
    slots = [
        Slot(o.starts_at, o.ends_at, o.room_id) for o in event.occurrences if not o.is_cancelled
    ]
    clashes = find_clashes(event.id, slots, event_resources(event))
    if not clashes:
        return
    reason = clean(override_reason, 500)
    if not reason or not policy.can(actor, "events.override_conflict"):
        raise ScheduleConflict(clashes)
    event.override_reason = reason
    audit.record(
        "events.conflict_override",
        actor=actor,
        obj=event,
        summary=reason,
        clashes=[c.message() for c in clashes],
        other_events=[c.other_id for c in clashes],
    )


# --- states ----------------------------------------------------------------------------------


def confirm(event: Event, *, actor: User) -> None:
    """planned → confirmed."""
    _require_manager(actor)
    if event.status is not EventStatus.PLANNED:
        raise InvalidTransition(_("Only a planned event can be confirmed."))
    lock_schedule()
    event.status = EventStatus.CONFIRMED
    event.confirmed_at = utcnow()
    event.confirmed_by_id = actor.id
    _state_changed(event, "events.confirm", actor)
    notify.send_invitations(event)


def complete(event: Event, *, actor: User) -> None:
    """confirmed → completed."""
    _require_manager(actor)
    if event.status is not EventStatus.CONFIRMED:
        raise InvalidTransition(_("Only a confirmed event can be marked completed."))
    event.status = EventStatus.COMPLETED
    event.completed_at = utcnow()
    if event.broadcast_status is BroadcastStatus.LIVE:
        event.broadcast_status = BroadcastStatus.ENDED
    _state_changed(event, "events.complete", actor)


def cancel(event: Event, *, actor: User, reason: str = "") -> None:
    """planned or confirmed → cancelled; participants get METHOD:CANCEL."""
    _require_manager(actor)
    if event.status not in (EventStatus.PLANNED, EventStatus.CONFIRMED):
        raise InvalidTransition(_("Only a planned or confirmed event can be cancelled."))
    event.status = EventStatus.CANCELLED
    event.cancelled_at = utcnow()
    event.cancel_reason = clean(reason, 500)
    _state_changed(event, "events.cancel", actor, reason=event.cancel_reason)
    notify.send_cancellations(event)


def _state_changed(event: Event, action: str, actor: User, **data) -> None:
    event.sequence += 1
    touch(event)
    db.session.flush()
    audit.record(action, actor=actor, obj=event, summary=event.title, **data)


def _require_manager(actor: User) -> None:
    if not is_manager(actor):
        raise PermissionDenied(
            _("Only administrators, the head and deputies confirm or cancel events.")
        )


def delete_event(event: Event, *, actor: User) -> None:
    """Remove an event entirely (a mistake); participants of a live one get a cancellation."""
    _require_manager(actor)
    if event.status in (EventStatus.PLANNED, EventStatus.CONFIRMED):
        event.sequence += 1
        notify.send_cancellations(event)
    audit.record("events.delete", actor=actor, obj=event, summary=event.title, uid=event.uid)
    db.session.delete(event)
    db.session.flush()


# --- broadcast -------------------------------------------------------------------------------


def update_broadcast(
    event: Event,
    *,
    actor: User,
    status: BroadcastStatus | None,
    is_camera_checked: bool,
    is_test_broadcast_done: bool,
    is_link_sent: bool,
    recording_kept_until: date | None,
) -> None:
    """The broadcast's status and the preparation checklist."""
    if not policy.can(actor, "events.edit", event):
        raise PermissionDenied(_("You cannot edit this event."))
    if status is not None and not event.stream_url:
        raise ValidationFailed(_("Add the stream link first."), "broadcast_status")
    event.broadcast_status = status if event.stream_url else None
    event.is_camera_checked = is_camera_checked
    event.is_test_broadcast_done = is_test_broadcast_done
    event.is_link_sent = is_link_sent
    event.recording_kept_until = recording_kept_until
    touch(event)
    db.session.flush()
    audit.record(
        "events.broadcast",
        actor=actor,
        obj=event,
        summary=event.title,
        status=status.value if status else None,
    )


def require_editable(event: Event, actor: User) -> None:
    if not policy.can(actor, "events.edit", event):
        raise PermissionDenied(_("You cannot edit this event."))
    if event.status in (EventStatus.COMPLETED, EventStatus.CANCELLED):
        raise InvalidTransition(_("A completed or cancelled event can no longer be edited."))
