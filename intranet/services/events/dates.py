"""Single dates of a series: moving one (it keeps its RECURRENCE-ID) or cancelling one."""

from __future__ import annotations

from datetime import date, time

from flask_babel import gettext as _

from intranet.extensions import db
from intranet.i18n import local_zone
from intranet.models import Event, EventOccurrence, EventSession, Room, User
from intranet.services import audit
from intranet.services.errors import InvalidTransition, NotFound, ValidationFailed
from intranet.services.events import notify
from intranet.services.events.operations import (
    check_conflicts,
    clean,
    local_moment,
    require_editable,
    touch,
)
from intranet.services.events.recurrence import refresh_span
from intranet.services.events.state import lock_schedule


def move_occurrence(
    event: Event,
    occurrence: EventOccurrence,
    *,
    actor: User,
    day: date,
    start: time,
    end: time,
    room_id: int | None,
    location: str = "",
    override_reason: str = "",
) -> None:
    """Move one instance of a series (it keeps its RECURRENCE-ID)."""
    require_editable(event, actor)
    _require_instance(event, occurrence)
    if occurrence.is_cancelled:
        raise InvalidTransition(_("This date is already cancelled."))
    if end <= start:
        raise ValidationFailed(
            _("A session must end after it starts (%(label)s).", label="—"), "end"
        )
    if room_id is not None and db.session.get(Room, room_id) is None:
        raise ValidationFailed(_("One of the rooms no longer exists."), "room_id")
    lock_schedule()
    zone = local_zone()
    occurrence.starts_at = local_moment(day, start, zone)
    occurrence.ends_at = local_moment(day, end, zone)
    occurrence.room_id = room_id
    occurrence.location = clean(location, 300)
    occurrence.is_moved = True
    occurrence.reminded_at = None
    refresh_span(event)
    event.sequence += 1
    touch(event)
    db.session.flush()
    check_conflicts(event, actor=actor, override_reason=override_reason)
    audit.record(
        "events.move_occurrence",
        actor=actor,
        obj=event,
        summary=event.title,
        original=occurrence.recurrence_at.isoformat() if occurrence.recurrence_at else None,
        starts_at=occurrence.starts_at.isoformat(),
    )
    notify.send_invitations(event, sessions=[_session_of(event, occurrence)])


def cancel_occurrence(event: Event, occurrence: EventOccurrence, *, actor: User) -> None:
    """Cancel one instance of a series; participants get a CANCEL for that RECURRENCE-ID."""
    require_editable(event, actor)
    _require_instance(event, occurrence)
    if occurrence.is_cancelled:
        raise InvalidTransition(_("This date is already cancelled."))
    live = [o for o in event.occurrences if not o.is_cancelled]
    if len(live) <= 1:
        raise InvalidTransition(_("This is the last date of the series: cancel the whole event."))
    occurrence.is_cancelled = True
    refresh_span(event)
    event.sequence += 1
    touch(event)
    db.session.flush()
    audit.record(
        "events.cancel_occurrence",
        actor=actor,
        obj=event,
        summary=event.title,
        original=occurrence.recurrence_at.isoformat() if occurrence.recurrence_at else None,
    )
    notify.send_cancellations(
        event, sessions=[_session_of(event, occurrence)], recurrence_at=occurrence.recurrence_at
    )


def _require_instance(event: Event, occurrence: EventOccurrence) -> None:
    if occurrence.event_id != event.id or occurrence.recurrence_at is None or not event.rrule:
        raise NotFound(_("No such date in this series."))


def _session_of(event: Event, occurrence: EventOccurrence) -> EventSession:
    return next(s for s in event.sessions if s.id == occurrence.session_id)
