"""iCalendar builders: VEVENTs of an event, feed headers, invitations and downloads.

One VEVENT per session; a recurring event is one VEVENT with its RRULE (exceptions and
cancelled instances as EXDATE) plus one VEVENT per moved instance (RECURRENCE-ID = its
original start). UIDs belong to sessions and never change; SEQUENCE is the event's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Timezone, vCalAddress, vDuration, vRecur
from icalendar import Event as VEvent

from intranet.models import Event, EventOccurrence, EventSession, EventStatus
from intranet.services.events import labels
from intranet.services.events.recurrence import series_starts

PRODID = "-//Kolledzh Intranet//Events//RU"
FOOTER = b"END:VCALENDAR\r\n"
# Control characters other than line breaks are not allowed in iCalendar text (RFC 5545 3.1);
# a NUL typed into a title would make calendar apps drop the whole feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain(value: Any) -> Any:
    """Text without control characters; other values as they are."""
    return _CONTROL.sub("", value) if isinstance(value, str) else value


DESCRIPTION_LIMIT = 1500
_STATUS = {
    EventStatus.PLANNED: "TENTATIVE",
    EventStatus.CONFIRMED: "CONFIRMED",
    EventStatus.COMPLETED: "CONFIRMED",
    EventStatus.CANCELLED: "CANCELLED",
}


@dataclass(frozen=True)
class IcsSettings:
    zone: ZoneInfo
    base_url: str
    public: bool = False  # the public feed: nothing about people
    alarm_minutes: int | None = None


def event_url(settings: IcsSettings, event_id: int) -> str:
    return f"{settings.base_url.rstrip('/')}/events/{event_id}"


@dataclass(frozen=True)
class Words:
    """The labels a VEVENT uses, translated once per calendar rather than once per event
    (gettext through Flask-Babel costs more than building the line itself)."""

    kind: dict
    attestation: dict
    level: dict
    stage: dict
    category: dict
    kod: str
    exam_site: str
    venue: str
    groups: str
    broadcast: str


def words() -> Words:
    """The labels in the current locale."""

    def table(labels_by_value: Mapping) -> dict:
        return {key: str(value) for key, value in labels_by_value.items()}

    return Words(
        kind=table(labels.KIND_LABELS),
        attestation=table(labels.ATTESTATION_LABELS),
        level=table(labels.LEVEL_LABELS),
        stage=table(labels.STAGE_LABELS),
        category=table(labels.CATEGORY_LABELS),
        kod=_("Assessment set (KOD): %(kod)s"),
        exam_site=_("Exam centre: %(site)s"),
        venue=_("Venue: %(site)s"),
        groups=_("Groups: %(names)s"),
        broadcast=_("Broadcast: %(url)s"),
    )


def describe(event: Event, w: Words) -> str:
    """The DESCRIPTION text: kind and its details, the description, the stream link."""
    lines = [w.kind[event.kind]]
    exam = event.demo_exam
    if exam is not None:
        lines.append(w.attestation[exam.attestation])
        if exam.speciality is not None:
            lines.append(f"{exam.speciality.code} {exam.speciality.name}")
        if exam.kod:
            lines.append(w.kod % {"kod": exam.kod})
        lines.append(w.level[exam.level])
        if exam.site:
            lines.append(w.exam_site % {"site": exam.site})
    contest = event.competition
    if contest is not None:
        parts = (w.stage[contest.stage], contest.competency, w.category[contest.category])
        lines.append(", ".join(p for p in parts if p))
        if contest.site:
            lines.append(w.venue % {"site": contest.site})
    if event.groups:
        lines.append(w.groups % {"names": ", ".join(g.name for g in event.groups)})
    if event.description:
        text = event.description.strip()
        if len(text) > DESCRIPTION_LIMIT:
            text = text[:DESCRIPTION_LIMIT].rstrip() + "…"
        lines += ["", text]
    if event.stream_url:
        lines += ["", w.broadcast % {"url": event.stream_url}]
    return "\n".join(lines)


def place_of(room_id: int | None, location: str, rooms: Mapping[int, str], event: Event) -> str:
    if room_id is not None and room_id in rooms:
        return rooms[room_id]
    if location:
        return location
    if event.demo_exam is not None and event.demo_exam.site:
        return event.demo_exam.site
    if event.competition is not None and event.competition.site:
        return event.competition.site
    return ""


def _summary(event: Event, session: EventSession) -> str:
    if session.label and len(event.sessions) > 1:
        return f"{event.title} · {session.label}"
    return event.title


Property = tuple[str, Any]  # (name, value) as icalendar's Component.add takes them


@dataclass
class Spec:
    """One VEVENT before icalendar builds it: its properties, in order, and its reminder."""

    properties: list[Property]
    alarm: tuple[int, str] | None = None  # (minutes before, text)


def _base(
    event: Event,
    session: EventSession,
    occurrence: EventOccurrence | None,
    rooms: Mapping[int, str],
    settings: IcsSettings,
    *,
    stamp: datetime,
    description: str,
    category: str,
) -> Spec:
    zone = settings.zone
    source = occurrence if occurrence is not None else session
    props: list[Property] = [
        ("uid", session.uid),
        ("dtstamp", stamp),
        ("dtstart", source.starts_at.astimezone(zone)),
        ("dtend", source.ends_at.astimezone(zone)),
        ("summary", _summary(event, session)),
    ]
    place = place_of(
        source.room_id if occurrence is not None else (session.room_id or event.room_id),
        source.location if occurrence is not None else (session.location or event.location),
        rooms,
        event,
    )
    if place:
        props.append(("location", place))
    props += [
        ("description", description),
        ("status", _STATUS[event.status]),
        ("sequence", event.sequence),
        ("categories", [category]),
        ("url", event_url(settings, event.id)),
        ("created", event.created_at),
        ("last-modified", event.updated_at),
    ]
    alarm = None
    if settings.alarm_minutes is not None and event.status is not EventStatus.CANCELLED:
        alarm = (settings.alarm_minutes, event.title)
    return Spec(props, alarm)


def build(spec: Spec) -> VEvent:
    """The icalendar component of a spec."""
    component = VEvent()
    for name, value in spec.properties:
        component.add(name, _plain(value))
    if spec.alarm is not None:
        minutes, text = spec.alarm
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _plain(text))
        alarm.add("trigger", timedelta(minutes=-minutes))
        component.add_component(alarm)
    return component


def event_specs(
    event: Event,
    rooms: Mapping[int, str],
    settings: IcsSettings,
    *,
    stamp: datetime | None = None,
    only_session_uid: str | None = None,
    vocabulary: Words | None = None,
) -> list[Spec]:
    """What the VEVENTs of an event (or of one of its sessions) hold. DTSTAMP defaults to the
    row's update time, so the bytes change only when the data does."""
    stamp = stamp or event.updated_at
    vocabulary = vocabulary or words()
    description = describe(event, vocabulary)
    category = vocabulary.kind[event.kind]
    by_session: dict[int, list[EventOccurrence]] = {}
    for occ in event.occurrences:
        by_session.setdefault(occ.session_id, []).append(occ)
    specs: list[Spec] = []
    for session in event.sessions:
        if only_session_uid is not None and session.uid != only_session_uid:
            continue
        occurrences = by_session.get(session.id, [])
        base = {"stamp": stamp, "description": description, "category": category}
        if not event.rrule:
            occ = occurrences[0] if occurrences else None
            specs.append(_base(event, session, occ, rooms, settings, **base))
            continue
        master = _base(event, session, None, rooms, settings, **base)
        master.properties.append(("rrule", vRecur.from_ical(event.rrule)))
        zone = settings.zone
        start_local = session.starts_at.astimezone(zone)
        _kept, excluded = series_starts(event.rrule, list(event.exdates or []), start_local)
        cancelled = [o.recurrence_at.astimezone(zone) for o in occurrences if o.is_cancelled]
        skipped = sorted({*excluded, *cancelled})
        if skipped:
            master.properties.append(("exdate", skipped))
        specs.append(master)
        for occ in occurrences:
            if occ.is_moved and not occ.is_cancelled and occ.recurrence_at is not None:
                override = _base(event, session, occ, rooms, settings, **base)
                override.properties.append(("recurrence-id", occ.recurrence_at.astimezone(zone)))
                specs.append(override)
    return specs


def event_components(
    event: Event,
    rooms: Mapping[int, str],
    settings: IcsSettings,
    **options: Any,
) -> list[VEvent]:
    """The VEVENTs of an event: one per session; a series and its moved dates."""
    return [build(spec) for spec in event_specs(event, rooms, settings, **options)]


# --- calendars -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def timezone_bytes(tzid: str, year: int) -> bytes:
    """The VTIMEZONE of a zone, good for two years either side of `year` (cached: slow)."""
    component = Timezone.from_tzid(
        tzid, first_date=date(year - 2, 1, 1), last_date=date(year + 2, 12, 31)
    )
    return component.to_ical()


def calendar_header(
    settings: IcsSettings,
    *,
    name: str | None = None,
    description: str | None = None,
    method: str | None = "PUBLISH",
    refresh: timedelta | None = None,
) -> bytes:
    """BEGIN:VCALENDAR, its properties and the organisation's VTIMEZONE (no END line)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", _plain(name))
    if description:
        cal.add("x-wr-caldesc", _plain(description))
    tzid = settings.zone.key
    cal.add("x-wr-timezone", tzid)
    if refresh is not None:
        # Explicit types: for X- names icalendar would write a timedelta as text.
        cal.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(refresh))
    head = cal.to_ical()
    assert head.endswith(FOOTER)
    return head[: -len(FOOTER)] + timezone_bytes(tzid, datetime.now(UTC).year)


def download(event: Event, rooms: Mapping[int, str], settings: IcsSettings) -> bytes:
    """The event as a file to import («Скачать .ics»)."""
    parts = [calendar_header(settings, name=event.title)]
    parts += [c.to_ical() for c in event_components(event, rooms, settings)]
    parts.append(FOOTER)
    return b"".join(parts)


def invitation(
    event: Event,
    session: EventSession,
    rooms: Mapping[int, str],
    settings: IcsSettings,
    *,
    method: str,
    organizer: tuple[str, str],
    attendee: tuple[str, str],
    recurrence_at: datetime | None = None,
) -> bytes:
    """An iTIP message (RFC 5546) for one session: REQUEST or CANCEL, one UID, with ORGANIZER
    and ATTENDEE. With `recurrence_at`, a CANCEL of that one instance of a series. A CANCEL
    is built from the session alone, so it works for a session already removed."""
    now = datetime.now(UTC)
    if method == "CANCEL":
        components = [_cancelled(event, session, settings, recurrence_at, stamp=now)]
    else:
        components = event_components(
            event, rooms, settings, stamp=now, only_session_uid=session.uid
        )
    parts = [calendar_header(settings, method=method)]
    for component in components:
        component.add("organizer", _address(*organizer))
        component.add(
            "attendee",
            _address(*attendee),
            parameters={
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": "NEEDS-ACTION",
                "RSVP": "FALSE",
            },
        )
        if method == "CANCEL":
            component.pop("STATUS", None)
            component.add("status", "CANCELLED")
            for alarm in list(component.subcomponents):
                component.subcomponents.remove(alarm)
        parts.append(component.to_ical())
    parts.append(FOOTER)
    return b"".join(parts)


def _cancelled(
    event: Event,
    session: EventSession,
    settings: IcsSettings,
    recurrence_at: datetime | None,
    *,
    stamp: datetime,
) -> VEvent:
    """What a CANCEL names: the session's UID (and RECURRENCE-ID for one date of a series)."""
    zone = settings.zone
    start = (recurrence_at or session.starts_at).astimezone(zone)
    component = VEvent()
    component.add("uid", session.uid)
    component.add("dtstamp", stamp)
    if recurrence_at is not None:
        component.add("recurrence-id", start)
    component.add("dtstart", start)
    component.add("dtend", start + (session.ends_at - session.starts_at))
    component.add("summary", _plain(_summary(event, session)))
    component.add("sequence", event.sequence)
    component.add("url", event_url(settings, event.id))
    return component


def _address(name: str, email: str) -> vCalAddress:
    value = vCalAddress(f"mailto:{email}")
    if name:
        value.params["CN"] = name
    return value


__all__ = [
    "FOOTER",
    "IcsSettings",
    "calendar_header",
    "describe",
    "download",
    "event_components",
    "invitation",
    "timezone_bytes",
]
