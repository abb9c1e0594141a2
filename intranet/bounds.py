"""Ranges that values from a URL or a form must fall in before they reach the database.

Ids are 32-bit integers on PostgreSQL (SQLite takes 64 bits): a larger number in a query
string is no id at all. Dates a person may type run from 1900 to 2199: the calendars and
periods add days and months to them, which `date.max` (9999-12-31) does not allow.
"""

from __future__ import annotations

from datetime import date

MAX_ID = 2**31 - 1
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)


def id_from(value: object) -> int | None:
    """A positive id from text or a number, or None for anything else (too large included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def day_in_range(day: date | None) -> bool:
    return day is not None and EARLIEST_DAY <= day <= LATEST_DAY


def coerce_id(value: object) -> int:
    """A select's `coerce` for ids: ValueError (the field's "not a valid choice") for text,
    zero, negatives and numbers past MAX_ID, which would overflow in the query."""
    number = id_from(value)
    if number is None:
        raise ValueError("not an id")
    return number


def optional_number(value: object) -> int | None:
    """A select's `coerce` where the empty placeholder means None: anything that is not a
    whole number within ±MAX_ID is None too."""
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return number if -MAX_ID <= number <= MAX_ID else None
