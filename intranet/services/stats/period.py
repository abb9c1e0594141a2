"""The period the statistics cover: presets, validation, UTC bounds and month buckets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case
from sqlalchemy.sql.elements import ColumnElement

from intranet.services.errors import ValidationFailed

MAX_MONTHS = 36  # a longer period makes charts nobody can read (and a long CASE)

PRESETS = {
    "this_month": _l("This month"),
    "last_month": _l("Last month"),
    "academic_year": _l("This academic year"),
    "last_academic_year": _l("Last academic year"),
    "calendar_year": _l("This calendar year"),
}
DEFAULT_PRESET = "academic_year"


@dataclass(frozen=True)
class Period:
    """Local dates from `start` to `end`, both included."""

    start: date
    end: date
    preset: str = ""

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """UTC instants of the local midnight starting `start` and the one after `end`."""
        return _midnight(self.start, zone), _midnight(self.end + timedelta(days=1), zone)

    @property
    def months(self) -> list[date]:
        """The first day of every calendar month the period touches."""
        out, current = [], self.start.replace(day=1)
        while current <= self.end:
            out.append(current)
            current = _next_month(current)
        return out


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def academic_year_start(today: date) -> date:
    """1 September of the academic year `today` belongs to."""
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def preset(name: str, today: date) -> Period:
    """A named period around `today`; an unknown name gives the default one."""
    if name == "this_month":
        first = today.replace(day=1)
        return Period(first, _next_month(first) - timedelta(days=1), name)
    if name == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return Period(end.replace(day=1), end, name)
    if name == "last_academic_year":
        start = academic_year_start(today).replace(year=academic_year_start(today).year - 1)
        return Period(start, date(start.year + 1, 8, 31), name)
    if name == "calendar_year":
        return Period(date(today.year, 1, 1), date(today.year, 12, 31), name)
    start = academic_year_start(today)
    return Period(start, date(start.year + 1, 8, 31), DEFAULT_PRESET)


def checked(start: date | None, end: date | None) -> Period:
    """A period typed in by hand, or ValidationFailed naming the field at fault."""
    if start is None:
        raise ValidationFailed(_("Enter the first day of the period."), field="start")
    if end is None:
        raise ValidationFailed(_("Enter the last day of the period."), field="end")
    if end < start:
        raise ValidationFailed(_("The period cannot end before it starts."), field="end")
    # The years first: counting the months of a period ending in 9999 overflows.
    if start.year < 2000 or end.year > 2100:
        raise ValidationFailed(_("Choose dates between 2000 and 2100."), field="start")
    if len(Period(start, end).months) > MAX_MONTHS:
        raise ValidationFailed(
            _("Choose a period of at most %(n)d months.", n=MAX_MONTHS), field="end"
        )
    return Period(start, end)


def month_bucket(column, period: Period, zone: ZoneInfo) -> ColumnElement[int]:
    """The index in `period.months` of the local month a UTC timestamp falls in.

    A CASE over the months' UTC boundaries: the same SQL on SQLite and PostgreSQL (their
    date functions differ, and SQLite's know no time zones), right in every zone and season.
    Rows must already be limited to the period's bounds.
    """
    months = period.months
    whens = [
        (column < _midnight(_next_month(first), zone), index)
        for index, first in enumerate(months[:-1])
    ]
    last = len(months) - 1
    return case(*whens, else_=last) if whens else case((column.is_not(None), 0), else_=0)
