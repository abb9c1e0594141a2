"""Helpers for the events tests: parsing feeds and mail as calendar clients do."""

from __future__ import annotations

import email
from datetime import date, datetime, timedelta
from email import policy

import icalendar
import recurring_ical_events

from intranet.extensions import db
from intranet.i18n import local_today
from intranet.models import OutboxMessage


def parse(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def vevents(body: bytes) -> list:
    return list(parse(body).walk("VEVENT"))


def expand(body: bytes, start: date | None = None, end: date | None = None) -> list:
    """Occurrences between two dates, expanded the way calendar apps expand them."""
    start = start or local_today() - timedelta(days=60)
    end = end or local_today() + timedelta(days=400)
    return list(recurring_ical_events.of(parse(body)).between(start, end))


def days_ahead(n: int) -> date:
    return local_today() + timedelta(days=n)


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))


def calendar_parts(message: OutboxMessage) -> list[tuple[str, icalendar.Calendar]]:
    """(method parameter, parsed calendar) of each text/calendar part of a queued message."""
    parsed = email.message_from_bytes(message.raw, policy=policy.default)
    found = []
    for part in parsed.walk():
        if part.get_content_type() == "text/calendar":
            found.append(
                (part.get_param("method"), icalendar.Calendar.from_ical(part.get_content()))
            )
    return found


def local(value) -> datetime:
    """A DTSTART/DTEND value as an aware datetime."""
    return value.dt if hasattr(value, "dt") else value


def same_input(event, **changes):
    """The service input that reproduces an event as it is, with some fields changed."""
    from intranet.i18n import local_zone
    from intranet.services import events as service

    zone = local_zone()
    sessions = [
        service.SessionInput(
            id=s.id,
            label=s.label,
            day=s.starts_at.astimezone(zone).date(),
            start=s.starts_at.astimezone(zone).time(),
            end=s.ends_at.astimezone(zone).time(),
            room_id=s.room_id,
            location=s.location,
            is_preparation=s.is_preparation,
        )
        for s in event.sessions
    ]
    values = dict(
        kind=event.kind,
        title=event.title,
        description=event.description,
        responsible_id=event.responsible_id,
        room_id=event.room_id,
        location=event.location,
        is_open=event.is_open,
        stream_url=event.stream_url,
        sessions=sessions,
        group_ids=[g.id for g in event.groups],
        department_ids=[d.id for d in event.departments],
        roles=[r.role for r in event.audience_roles],
    )
    if event.rrule:
        from intranet.services.events.recurrence import parse_rule

        values["recurrence"] = parse_rule(event.rrule, list(event.exdates or []), zone)
    if event.demo_exam is not None:
        exam = event.demo_exam
        values["demo_exam"] = service.DemoExamInput(
            exam.attestation, exam.level, exam.speciality_id, exam.kod, exam.site
        )
    if event.competition is not None:
        c = event.competition
        values["competition"] = service.CompetitionInput(c.stage, c.category, c.competency, c.site)
    values.update(changes)
    return service.EventInput(**values)
