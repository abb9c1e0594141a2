"""SLA clock: the organisation's working-hours calendar and the ticket's due times.

Targets are working seconds counted in the college's calendar (weekdays, hours, holidays,
in the organisation's time zone). While a ticket waits for its requester the clock stops:
the working time spent paused is added to the targets, so due times move on by exactly
the pause, however many nights, weekends or holidays it spans.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from intranet.models.helpdesk import Priority, SlaAlert, Ticket, TicketStatus

_MAX_DAYS = 3 * 366  # a target longer than this is a misconfiguration, not a plan


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours; `holidays` are days off, `extra_workdays` weekends worked."""

    zone: ZoneInfo
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def is_workday(self, day: date) -> bool:
        """True on a working day of the college."""
        if day in self.extra_workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.start, tzinfo=self.zone),
            datetime.combine(day, self.end, tzinfo=self.zone),
        )

    def add(self, moment: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `moment` (UTC)."""
        local = moment.astimezone(self.zone)
        left = max(0.0, float(seconds))
        day = local.date()
        for _ in range(_MAX_DAYS):
            if self.is_workday(day):
                opens, closes = self._window(day)
                begin = max(local, opens)
                if begin < closes:
                    available = (closes - begin).total_seconds()
                    if left <= available:
                        return (begin + timedelta(seconds=left)).astimezone(ZoneInfo("UTC"))
                    left -= available
            day += timedelta(days=1)
            local = datetime.combine(day, time(0, 0), tzinfo=self.zone)
        raise ValueError("SLA target too long for the working calendar")

    def between(self, earlier: datetime, later: datetime) -> int:
        """Working seconds from `earlier` to `later` (0 when `later` is not after it)."""
        if later <= earlier:
            return 0
        a = earlier.astimezone(self.zone)
        b = later.astimezone(self.zone)
        total = 0.0
        day = a.date()
        for _ in range((b.date() - a.date()).days + 1):
            if self.is_workday(day):
                opens, closes = self._window(day)
                lo, hi = max(a, opens), min(b, closes)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return int(total)

    @property
    def day_seconds(self) -> int:
        """The length of one working day."""
        opens = self.start.hour * 3600 + self.start.minute * 60
        return self.end.hour * 3600 + self.end.minute * 60 - opens


def _parse_days(values: Iterable[str | date]) -> frozenset[date]:
    return frozenset(v if isinstance(v, date) else date.fromisoformat(str(v)) for v in values)


def calendar_from(config: Mapping, zone: str) -> WorkCalendar:
    """The calendar described by the HELPDESK_* settings in the organisation's zone."""
    start, end = (time.fromisoformat(str(v)) for v in config["HELPDESK_WORK_HOURS"])
    return WorkCalendar(
        zone=ZoneInfo(zone),
        weekdays=frozenset(int(d) for d in config["HELPDESK_WORKDAYS"]),
        start=start,
        end=end,
        holidays=_parse_days(config["HELPDESK_HOLIDAYS"]),
        extra_workdays=_parse_days(config.get("HELPDESK_EXTRA_WORKDAYS", ())),
    )


def current_calendar() -> WorkCalendar:
    """The calendar for this app, in the organisation's time zone."""
    from intranet.i18n import organisation_timezone

    return calendar_from(current_app.config, organisation_timezone())


def targets(priority: Priority) -> tuple[int, int]:
    """(first response, resolution) targets in working seconds for this priority."""
    first, resolution = current_app.config["HELPDESK_SLA_HOURS"][Priority(priority).value]
    return int(float(first) * 3600), int(float(resolution) * 3600)


# --- the ticket's clock ----------------------------------------------------------------------


def start_clock(ticket: Ticket, now: datetime, cal: WorkCalendar | None = None) -> None:
    """Set the due times of a new ticket."""
    ticket.sla_paused_seconds = 0
    recompute_due(ticket, cal or current_calendar())


def recompute_due(ticket: Ticket, cal: WorkCalendar) -> None:
    """Due times from the creation, the targets and the time spent paused."""
    first, resolution = targets(ticket.priority)
    paused = ticket.sla_paused_seconds or 0
    ticket.first_response_due_at = cal.add(ticket.created_at, first + paused)
    ticket.resolution_due_at = cal.add(ticket.created_at, resolution + paused)
    _refresh_next_due(ticket)


def _refresh_next_due(ticket: Ticket) -> None:
    """`due_at` is the next target still running; the sweep's warning restarts with it."""
    if ticket.sla_paused_at is not None or ticket.status in (
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    ):
        due = None
    elif ticket.first_response_at is None:
        due = ticket.first_response_due_at
    else:
        due = ticket.resolution_due_at
    if due != ticket.due_at:
        ticket.due_at = due
        ticket.sla_alert = SlaAlert.NONE


def consumed(ticket: Ticket, now: datetime, cal: WorkCalendar) -> int:
    """Working seconds the ticket's clock has run so far (pauses left out)."""
    until = ticket.sla_paused_at or now
    return max(0, cal.between(ticket.created_at, until) - (ticket.sla_paused_seconds or 0))


def pause(ticket: Ticket, now: datetime) -> None:
    """Stop the clock: the ticket waits for its requester."""
    if ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
    _refresh_next_due(ticket)


def resume(ticket: Ticket, now: datetime, cal: WorkCalendar | None = None) -> None:
    """Restart the clock; the due times move on by the working time spent paused."""
    cal = cal or current_calendar()
    if ticket.sla_paused_at is not None:
        ticket.sla_paused_seconds = (ticket.sla_paused_seconds or 0) + cal.between(
            ticket.sla_paused_at, now
        )
        ticket.sla_paused_at = None
    recompute_due(ticket, cal)


def record_first_response(ticket: Ticket, now: datetime, cal: WorkCalendar | None = None) -> None:
    """The first public answer from staff: stops the first-response clock."""
    if ticket.first_response_at is not None:
        return
    cal = cal or current_calendar()
    ticket.first_response_at = now
    ticket.first_response_seconds = consumed(ticket, now, cal)
    first, _resolution = targets(ticket.priority)
    if ticket.first_response_seconds > first:
        ticket.first_response_breached = True
    _refresh_next_due(ticket)


def record_resolution(ticket: Ticket, now: datetime, cal: WorkCalendar | None = None) -> None:
    """The ticket is resolved: the resolution clock stops and a breach is recorded."""
    cal = cal or current_calendar()
    if ticket.sla_paused_at is not None:
        resume(ticket, now, cal)
    ticket.resolved_at = now
    ticket.resolution_seconds = consumed(ticket, now, cal)
    _first, resolution = targets(ticket.priority)
    if ticket.resolution_seconds > resolution:
        ticket.resolution_breached = True
    _refresh_next_due(ticket)


def reopen(ticket: Ticket, now: datetime, cal: WorkCalendar | None = None) -> None:
    """A resolved ticket is open again: the resolution clock runs on from where it stopped."""
    ticket.resolved_at = None
    ticket.resolution_seconds = None
    recompute_due(ticket, cal or current_calendar())


def remaining(ticket: Ticket, now: datetime, cal: WorkCalendar) -> int | None:
    """Working seconds left before the next due time (negative when overdue), or None."""
    if ticket.due_at is None:
        return None
    if ticket.due_at <= now:
        return -cal.between(ticket.due_at, now)
    return cal.between(now, ticket.due_at)
