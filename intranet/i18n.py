"""Locale and time zone selection, and the date, time, phone and plural filters."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request, session
from flask_login import current_user

from intranet.extensions import babel
from intranet.services.phones import format_phone

_TZ_CACHE: dict[str, tuple[float, str]] = {}
_TZ_TTL = 30.0  # seconds: each worker process re-reads the organisation's zone this often


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters.update(
        date=format_day,
        datetime=format_moment,
        time=format_clock,
        phone=format_phone,
    )
    app.jinja_env.globals.update(current_locale=select_locale, today=local_today)


def select_locale() -> str:
    if "locale" in g:
        return g.locale
    locale = None
    if current_user and getattr(current_user, "is_authenticated", False):
        locale = current_user.locale
    if locale is None:
        locale = session.get("locale") if request else None
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    g.locale = locale
    return locale


def organisation_timezone() -> str:
    """The organisation's IANA zone, cached briefly per process to keep pages query-free."""
    key = current_app.config["SQLALCHEMY_DATABASE_URI"]
    now = time.monotonic()
    hit = _TZ_CACHE.get(key)
    if hit and now - hit[0] < _TZ_TTL:
        return hit[1]
    from intranet.extensions import db
    from intranet.models import Organisation

    zone = db.session.scalar(db.select(Organisation.timezone).limit(1))
    zone = zone or current_app.config["BABEL_DEFAULT_TIMEZONE"]
    _TZ_CACHE[key] = (now, zone)
    return zone


def forget_timezone() -> None:
    _TZ_CACHE.clear()


def select_timezone() -> str:
    return organisation_timezone()


def local_zone() -> ZoneInfo:
    return ZoneInfo(organisation_timezone())


# The patterns are fixed (ДД.ММ.ГГГГ, 24-hour time) in every language, so the filters format
# with strftime in the organisation's zone: Babel's formatter costs ten times as much, and a
# list page formats a date on every row.


def _local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_zone())


def format_day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    return value.strftime("%d.%m.%Y")


def format_moment(value: datetime | None) -> str:
    if value is None:
        return ""
    return _local(value).strftime("%d.%m.%Y %H:%M")


def format_clock(value: datetime | None) -> str:
    if value is None:
        return ""
    return _local(value).strftime("%H:%M")


def local_today() -> date:
    """Today's date in the organisation's time zone."""
    return datetime.now(local_zone()).date()
