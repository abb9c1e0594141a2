"""Recurrence rules (RRULE) of webinars and meetings, and the occurrences stored from them.

Rules are expanded in the organisation's local time, so a weekly meeting at 10:00 stays at
10:00 across a change of UTC offset; occurrences are stored in UTC. Every series needs an end
(UNTIL or COUNT) within a year of its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from flask_babel import gettext as _

from intranet.models import Event, EventOccurrence, EventSession
from intranet.services.errors import ValidationFailed

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_SPAN = timedelta(days=365)
MAX_COUNT = 366


@dataclass(frozen=True)
class Recurrence:
    """A repetition as the form describes it."""

    freq: str
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    until: date | None = None
    count: int | None = None
    exdates: tuple[date, ...] = field(default_factory=tuple)


def build_rule(rec: Recurrence, zone: ZoneInfo) -> str:
    """The RRULE value (without DTSTART) for a repetition; ValidationFailed when invalid."""
    if rec.freq not in FREQUENCIES:
        raise ValidationFailed(_("Choose how often the event repeats."), "repeat")
    if not 1 <= rec.interval <= 52:
        raise ValidationFailed(_("The interval must be between 1 and 52."), "interval")
    if bool(rec.until) == bool(rec.count):
        raise ValidationFailed(
            _("A repeating event needs an end: a last date or a number of times."), "until"
        )
    parts = [f"FREQ={rec.freq}"]
    if rec.interval != 1:
        parts.append(f"INTERVAL={rec.interval}")
    if rec.weekdays:
        if rec.freq != "WEEKLY" or any(d not in WEEKDAYS for d in rec.weekdays):
            raise ValidationFailed(_("Week days apply to weekly repetition only."), "weekdays")
        ordered = [d for d in WEEKDAYS if d in rec.weekdays]
        parts.append("BYDAY=" + ",".join(ordered))
    if rec.count:
        if not 1 <= rec.count <= MAX_COUNT:
            raise ValidationFailed(
                _("The number of times must be between 1 and %(n)d.", n=MAX_COUNT), "count"
            )
        parts.append(f"COUNT={rec.count}")
    else:
        # UNTIL is in UTC when DTSTART carries a time zone (RFC 5545 §3.3.10).
        last_moment = datetime.combine(rec.until, time(23, 59, 59), zone).astimezone(UTC)
        parts.append("UNTIL=" + last_moment.strftime("%Y%m%dT%H%M%SZ"))
    return ";".join(parts)


def parse_rule(rule: str, exdates: list[str], zone: ZoneInfo) -> Recurrence:
    """The form's view of a stored rule."""
    values = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
    until = None
    if "UNTIL" in values:
        moment = datetime.strptime(values["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        until = moment.astimezone(zone).date()
    return Recurrence(
        freq=values.get("FREQ", "WEEKLY"),
        interval=int(values.get("INTERVAL", "1")),
        weekdays=tuple(d for d in values.get("BYDAY", "").split(",") if d),
        until=until,
        count=int(values["COUNT"]) if "COUNT" in values else None,
        exdates=tuple(date.fromisoformat(d) for d in exdates),
    )


def expand(rule: str, start_local: datetime) -> list[datetime]:
    """Every start of the series in local time, exceptions included; capped at MAX_COUNT."""
    starts: list[datetime] = []
    for moment in rrulestr(rule, dtstart=start_local):
        starts.append(moment)
        if len(starts) > MAX_COUNT:
            break
    return starts


def series_starts(
    rule: str, exdates: list[str], start_local: datetime
) -> tuple[list[datetime], list[datetime]]:
    """(the starts that happen, the starts excluded as exceptions), in local time."""
    skipped = {date.fromisoformat(d) for d in exdates}
    kept, excluded = [], []
    for moment in expand(rule, start_local):
        (excluded if moment.date() in skipped else kept).append(moment)
    return kept, excluded


def check_series(rule: str, exdates: list[str], start_local: datetime) -> list[datetime]:
    """The kept starts of a valid series; ValidationFailed for an endless or too long one."""
    try:
        every = expand(rule, start_local)
    except (ValueError, TypeError) as error:
        raise ValidationFailed(_("The repetition rule is not valid."), "repeat") from error
    if len(every) > MAX_COUNT:
        raise ValidationFailed(_("A repeating event must end within a year."), "until")
    if every and every[-1] - every[0] > MAX_SPAN:
        raise ValidationFailed(_("A repeating event must end within a year."), "until")
    kept, _excluded = series_starts(rule, exdates, start_local)
    if not kept:
        raise ValidationFailed(_("The repetition leaves no date at all."), "until")
    return kept


@dataclass
class SyncResult:
    added: int = 0
    removed: int = 0
    changed: int = 0


def sync_occurrences(event: Event, zone: ZoneInfo) -> SyncResult:
    """Make the stored occurrences match the sessions (and the rule), keeping the instances
    that were moved or cancelled one by one where their original date still exists."""
    result = SyncResult()
    by_session: dict[int, list[EventOccurrence]] = {}
    for occ in event.occurrences:
        by_session.setdefault(occ.session_id, []).append(occ)
    wanted_ids = {s.id for s in event.sessions}
    if None in wanted_ids:
        raise RuntimeError("flush the sessions before syncing their occurrences")
    for occ in list(event.occurrences):
        if occ.session_id not in wanted_ids:
            event.occurrences.remove(occ)
            result.removed += 1
    for session in event.sessions:
        existing = by_session.get(session.id, [])
        room_id = session.room_id or event.room_id
        location = session.location or event.location
        if not event.rrule:
            _sync_single(event, session, existing, room_id, location, result)
            continue
        duration = session.ends_at - session.starts_at
        start_local = session.starts_at.astimezone(zone)
        kept = series_starts(event.rrule, list(event.exdates or []), start_local)[0]
        wanted = {m.astimezone(UTC): m.astimezone(UTC) + duration for m in kept}
        by_original = {o.recurrence_at: o for o in existing if o.recurrence_at is not None}
        for occ in existing:
            if occ.recurrence_at is None or occ.recurrence_at not in wanted:
                event.occurrences.remove(occ)
                result.removed += 1
        for original, ends_at in wanted.items():
            occ = by_original.get(original)
            if occ is None:
                event.occurrences.append(
                    EventOccurrence(
                        session_id=session.id,
                        recurrence_at=original,
                        starts_at=original,
                        ends_at=ends_at,
                        room_id=room_id,
                        location=location,
                    )
                )
                result.added += 1
            elif not occ.is_moved and (
                occ.starts_at,
                occ.ends_at,
                occ.room_id,
                occ.location,
            ) != (original, ends_at, room_id, location):
                occ.starts_at, occ.ends_at = original, ends_at
                occ.room_id, occ.location = room_id, location
                occ.reminded_at = None
                result.changed += 1
    refresh_span(event)
    return result


def _sync_single(
    event: Event,
    session: EventSession,
    existing: list[EventOccurrence],
    room_id: int | None,
    location: str,
    result: SyncResult,
) -> None:
    keep = existing[0] if existing else None
    for extra in existing[1:]:
        event.occurrences.remove(extra)
        result.removed += 1
    if keep is None:
        event.occurrences.append(
            EventOccurrence(
                session_id=session.id,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                room_id=room_id,
                location=location,
            )
        )
        result.added += 1
        return
    values = (session.starts_at, session.ends_at, room_id, location, None, False, False)
    current = (
        keep.starts_at,
        keep.ends_at,
        keep.room_id,
        keep.location,
        keep.recurrence_at,
        keep.is_moved,
        keep.is_cancelled,
    )
    if values != current:
        if (keep.starts_at, keep.ends_at) != (session.starts_at, session.ends_at):
            keep.reminded_at = None
        (
            keep.starts_at,
            keep.ends_at,
            keep.room_id,
            keep.location,
            keep.recurrence_at,
            keep.is_moved,
            keep.is_cancelled,
        ) = values
        result.changed += 1


def refresh_span(event: Event) -> None:
    """Keep the event's first start and last end (used by range queries) up to date."""
    live = [o for o in event.occurrences if not o.is_cancelled] or list(event.occurrences)
    if not live:
        event.first_starts_at = event.last_ends_at = None
        return
    event.first_starts_at = min(o.starts_at for o in live)
    event.last_ends_at = max(o.ends_at for o in live)
