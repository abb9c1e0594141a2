"""E-mails about events: iTIP invitations (METHOD:REQUEST), cancellations (METHOD:CANCEL)
and reminders the day before (a worker job). One message per person and session, since an
iTIP message carries one UID."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intranet.extensions import db
from intranet.i18n import local_zone
from intranet.jobs import register_job
from intranet.models import (
    Event,
    EventOccurrence,
    EventPerson,
    EventSession,
    EventStatus,
    Room,
    User,
)
from intranet.models.base import utcnow
from intranet.services import mail
from intranet.services.events import ical

REMINDER_JOB = "events.reminders"


@dataclass(frozen=True)
class Recipient:
    to: User | str  # a person of the college, or "Name <address>" from outside
    name: str
    email: str
    locale: str
    greeting: str = ""  # «Иван Иванович»: how the letter addresses them


def room_labels() -> dict[int, str]:
    """Every room's label by id (rooms are few)."""
    rows = db.session.execute(select(Room.id, Room.name, Room.building))
    return {r.id: f"{r.name}, {r.building}" if r.building else r.name for r in rows}


def settings_for(*, public: bool = False, alarm_minutes: int | None = None) -> ical.IcsSettings:
    return ical.IcsSettings(
        zone=local_zone(),
        base_url=current_app.config["BASE_URL"],
        public=public,
        alarm_minutes=alarm_minutes,
    )


def recipients(
    event: Event,
    *,
    people: Iterable[EventPerson] | None = None,
    only_responsible: bool = False,
) -> list[Recipient]:
    """The responsible person and everyone on the list (or just these people), once each."""
    default_locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    found: dict[str, Recipient] = {}

    def add_user(user: User | None) -> None:
        if user is not None and user.email and user.is_active:
            found.setdefault(
                user.email.lower(),
                Recipient(
                    user,
                    user.full_name,
                    user.email,
                    user.locale,
                    " ".join(p for p in (user.first_name, user.middle_name) if p),
                ),
            )

    if people is None or only_responsible:
        add_user(db.session.get(User, event.responsible_id))
    if only_responsible:
        return list(found.values())
    for person in event.people if people is None else people:
        if person.user is not None:
            add_user(person.user)
        elif person.email:
            try:
                address = mail.address(person.name, person.email)
            except ValueError:
                continue
            found.setdefault(
                person.email.lower(),
                Recipient(str(address), person.name, person.email, default_locale, person.name),
            )
    return list(found.values())


def _organizer(event: Event) -> tuple[str, str]:
    responsible = db.session.get(User, event.responsible_id)
    if responsible is not None and responsible.email:
        return responsible.full_name, responsible.email
    sender = mail.parse_address(current_app.config["MAIL_SENDER"])
    return sender.display_name, sender.addr_spec


def _when(session: EventSession, starts_at: datetime | None = None) -> str:
    zone = local_zone()
    start = (starts_at or session.starts_at).astimezone(zone)
    end = starts_at + (session.ends_at - session.starts_at) if starts_at else session.ends_at
    return f"{start:%d.%m.%Y %H:%M}–{end.astimezone(zone):%H:%M}"


def _queue(
    event: Event,
    session: EventSession,
    person: Recipient,
    *,
    method: str,
    kind: str,
    template: str,
    subject,
    rooms: dict[int, str],
    recurrence_at: datetime | None = None,
) -> None:
    with force_locale(person.locale):
        ics = ical.invitation(
            event,
            session,
            rooms,
            settings_for(),
            method=method,
            organizer=_organizer(event),
            attendee=(person.name, person.email),
            recurrence_at=recurrence_at,
        )
    mail.queue_mail(
        kind,
        person.to,
        subject,
        template,
        {
            "event": event,
            "session": session,
            "when": _when(session, recurrence_at),
            "place": ical.place_of(
                session.room_id or event.room_id, session.location or event.location, rooms, event
            ),
            "link": mail.external_url("events.show", event_id=event.id),
            "is_series": bool(event.rrule) and recurrence_at is None,
            "name": person.greeting or person.name,
        },
        calendar=mail.CalendarPart(ics, method=method, filename="invite.ics"),
        locale=person.locale,
    )


def send_invitations(
    event: Event,
    *,
    sessions: Sequence[EventSession] | None = None,
    people: Iterable[EventPerson] | None = None,
    only_responsible: bool = False,
) -> None:
    """METHOD:REQUEST for each session (default: all) to each recipient."""
    if event.status is EventStatus.CANCELLED:
        return
    people_list = recipients(event, people=people, only_responsible=only_responsible)
    if not people_list:
        return
    rooms = room_labels()
    subject = (
        _l("Invitation: %(title)s", title=event.title)
        if event.sequence == 0
        else _l("Changed: %(title)s", title=event.title)
    )
    for session in sessions or event.sessions:
        for person in people_list:
            _queue(
                event,
                session,
                person,
                method="REQUEST",
                kind="events.invitation",
                template="events_invitation",
                subject=subject,
                rooms=rooms,
            )


def send_cancellations(
    event: Event,
    *,
    sessions: Sequence[EventSession] | None = None,
    people: Iterable[EventPerson] | None = None,
    recurrence_at: datetime | None = None,
) -> None:
    """METHOD:CANCEL (same UID, higher SEQUENCE) for each session, or one instance."""
    people_list = recipients(event, people=people)
    if not people_list:
        return
    rooms = room_labels()
    subject = _l("Cancelled: %(title)s", title=event.title)
    for session in sessions or event.sessions:
        for person in people_list:
            _queue(
                event,
                session,
                person,
                method="CANCEL",
                kind="events.invitation",
                template="events_cancellation",
                subject=subject,
                rooms=rooms,
                recurrence_at=recurrence_at,
            )


def send_reminders(now: datetime | None = None) -> int:
    """Remind the people of tomorrow's occurrences (once each, from the morning on)."""
    zone = local_zone()
    now = now or utcnow()
    local_now = now.astimezone(zone)
    if local_now.hour < current_app.config.get("EVENTS_REMINDER_HOUR", 9):
        return 0
    tomorrow = local_now.date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), zone).astimezone(UTC)
    end = datetime.combine(tomorrow + timedelta(days=1), time(0), zone).astimezone(UTC)
    occurrences = list(
        db.session.scalars(
            select(EventOccurrence)
            .join(Event, Event.id == EventOccurrence.event_id)
            .where(
                EventOccurrence.starts_at >= start,
                EventOccurrence.starts_at < end,
                EventOccurrence.reminded_at.is_(None),
                EventOccurrence.is_cancelled.is_(False),
                Event.status.in_((EventStatus.PLANNED, EventStatus.CONFIRMED)),
            )
            .options(
                selectinload(EventOccurrence.session),
                selectinload(EventOccurrence.event)
                .selectinload(Event.people)
                .selectinload(EventPerson.user),
                selectinload(EventOccurrence.event).selectinload(Event.sessions),
                selectinload(EventOccurrence.event).selectinload(Event.demo_exam),
                selectinload(EventOccurrence.event).selectinload(Event.competition),
            )
            .order_by(EventOccurrence.starts_at)
            .limit(500)
        )
    )
    rooms = room_labels() if occurrences else {}
    for occ in occurrences:
        event = occ.event
        for person in recipients(event):
            mail.queue_mail(
                "events.reminder",
                person.to,
                _l("Tomorrow: %(title)s", title=event.title),
                "events_reminder",
                {
                    "event": event,
                    "session": occ.session,
                    "when": f"{occ.starts_at.astimezone(zone):%d.%m.%Y %H:%M}–"
                    f"{occ.ends_at.astimezone(zone):%H:%M}",
                    "place": ical.place_of(occ.room_id, occ.location, rooms, event),
                    "link": mail.external_url("events.show", event_id=event.id),
                    "name": person.greeting or person.name,
                },
                locale=person.locale,
            )
        occ.reminded_at = now
    db.session.flush()
    return len(occurrences)


register_job(REMINDER_JOB, 600, send_reminders)
