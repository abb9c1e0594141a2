"""Serving calendar feeds cheaply.

A poll costs one small query (the feed row and the events generation counter) when nothing
changed since this process last looked: the answer (304, or the cached bytes) comes from
memory. When the counter moved, the feed's fingerprint (an aggregate over the events it
shows) is recomputed; only if that changed is the feed rendered again. The ETag is derived
from the fingerprint, so any process can answer 304 without rendering.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, literal, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from intranet import policy
from intranet.extensions import db
from intranet.i18n import local_zone, organisation_timezone
from intranet.models import (
    CalendarFeed,
    Department,
    Event,
    EventKind,
    EventsState,
    EventStatus,
    FeedScope,
    Organisation,
    Room,
    Speciality,
    StudyGroup,
    User,
)
from intranet.models.base import utcnow
from intranet.services.errors import NotFound
from intranet.services.events import ical, labels, snapshots
from intranet.services.events.cache import BoundedCache
from intranet.services.events.feeds import TOKEN_PURPOSE
from intranet.services.events.notify import room_labels
from intranet.services.events.queries import department_clause, group_clause
from intranet.services.events.state import STATE_ID
from intranet.services.security import read_token

log = logging.getLogger("intranet.feeds")

WINDOW_PAST = timedelta(days=30)
WINDOW_FUTURE = timedelta(days=365)
CANCELLED_KEPT = timedelta(days=30)
REFRESH = timedelta(hours=1)
USE_RECORDED_EVERY = timedelta(hours=1)
RENDER_VERSION = "1"  # part of every fingerprint: bump when the rendering changes


# --- caches ----------------------------------------------------------------------------------


_BODIES = BoundedCache(max_bytes=64 * 1024 * 1024, max_entries=2000)
_META = BoundedCache(max_bytes=20000, max_entries=20000)  # one unit per entry


def clear_caches() -> None:
    _BODIES.clear()
    _META.clear()


def _bodies() -> BoundedCache:
    _BODIES.max_bytes = current_app.config.get("EVENTS_FEED_CACHE_BYTES", _BODIES.max_bytes)
    return _BODIES


# --- what a feed shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime
    cancelled_since: datetime
    day: date


def window_for(today: date) -> Window:
    """−30 … +365 days around today (local days); cancelled events kept for 30 days."""
    zone = local_zone()

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), zone).astimezone(UTC)

    return Window(
        starts_at=midnight(today - WINDOW_PAST),
        ends_at=midnight(today + WINDOW_FUTURE),
        cancelled_since=midnight(today - CANCELLED_KEPT),
        day=today,
    )


@dataclass(frozen=True)
class Meta:
    allowed: bool
    scope_key: tuple
    fingerprint: str
    etag: str
    last_modified: datetime
    name: str = ""
    locale: str = "ru"
    alarm_minutes: int | None = None


def _scope_clause(scope: FeedScope, row: Any, owner: User):
    if scope is FeedScope.PERSONAL:
        return policy.event_audience_clause(policy.event_reach(owner), include_open=False)
    if scope is FeedScope.GROUP:
        return group_clause(row.group_id)
    if scope is FeedScope.DEPARTMENT:
        return department_clause(row.department_id)
    if scope is FeedScope.KIND:
        return Event.kind == row.kind
    return Event.is_open.is_(True)


def _in_window(window: Window):
    return (
        (Event.first_starts_at < window.ends_at)
        & (Event.last_ends_at > window.starts_at)
        & or_(Event.status != EventStatus.CANCELLED, Event.cancelled_at >= window.cancelled_since)
    )


def _allowed(scope: FeedScope, row: Any, owner: User | None) -> bool:
    if owner is None or not owner.is_active or not policy.can(owner, "events.subscribe"):
        return False
    if scope is FeedScope.GROUP:
        group = db.session.get(StudyGroup, row.group_id)
        return group is not None and policy.can(owner, "events.subscribe", group)
    if scope is FeedScope.DEPARTMENT:
        department = db.session.get(Department, row.department_id)
        return department is not None and policy.can(owner, "events.subscribe", department)
    if scope is FeedScope.KIND:
        return policy.can(owner, "events.subscribe", EventKind(row.kind))
    return True


def _feed_name(scope: FeedScope, row: Any) -> str:
    college = db.session.scalar(select(Organisation.short_name).limit(1)) or _("College")
    if scope is FeedScope.PERSONAL:
        what = _("my events")
    elif scope is FeedScope.GROUP:
        what = _("group %(name)s", name=db.session.get(StudyGroup, row.group_id).name)
    elif scope is FeedScope.DEPARTMENT:
        what = db.session.get(Department, row.department_id).name
    elif scope is FeedScope.KIND:
        what = labels.kind_label(row.kind)
    else:
        what = _("open events")
    return f"{college}: {what}"


def _compute_meta(row: Any, window: Window, changed_at: datetime | None) -> Meta:
    """Who may read the feed, and the fingerprint of what it shows (a few small queries)."""
    scope = FeedScope(row.scope)
    owner = db.session.get(User, row.owner_id)
    if not _allowed(scope, row, owner):
        return Meta(False, (), "", "", utcnow())
    tzid = organisation_timezone()
    target = {
        FeedScope.PERSONAL: row.owner_id,
        FeedScope.GROUP: row.group_id,
        FeedScope.DEPARTMENT: row.department_id,
        FeedScope.KIND: str(row.kind) if row.kind else None,
        FeedScope.PUBLIC: None,
    }[scope]
    scope_key = (scope.value, target, row.alarm_minutes, owner.locale, tzid)
    aggregate = db.session.execute(
        select(
            func.count(Event.id),
            func.max(Event.updated_at),
            func.sum(Event.id),
            func.sum(Event.id % 997),
            func.sum(Event.sequence),
            select(func.max(Room.updated_at)).scalar_subquery(),
            select(func.max(StudyGroup.updated_at)).scalar_subquery(),
            select(func.max(Speciality.updated_at)).scalar_subquery(),
            select(func.max(Organisation.updated_at)).scalar_subquery(),
        ).where(_scope_clause(scope, row, owner), _in_window(window))
    ).one()
    with force_locale(owner.locale):
        name = _feed_name(scope, row)
    digest = hashlib.sha256(
        repr((RENDER_VERSION, scope_key, tuple(aggregate), name)).encode()
    ).hexdigest()
    midnight = window.starts_at + WINDOW_PAST
    stamps = [row.updated_at, midnight, changed_at]
    last_modified = max(s for s in stamps if s is not None).replace(microsecond=0)
    return Meta(
        True,
        scope_key,
        digest,
        f'"{digest[:40]}"',
        last_modified,
        name=name,
        locale=owner.locale,
        alarm_minutes=row.alarm_minutes,
    )


def iter_events(clause, window: Window, *, limit: int | None = None, chunk: int = 250):
    """The events a feed shows, nearest first, loaded a chunk at a time: rendering stops at
    the size limit, so the farthest events of a large scope are never loaded at all."""
    query = (
        select(Event.id).where(clause, _in_window(window)).order_by(Event.first_starts_at, Event.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return snapshots.iter_snapshots(list(db.session.scalars(query)), chunk=chunk)


def render(events: Iterable[Any], meta: Meta, *, public: bool, limit: int) -> bytes:
    """The feed's bytes: header, VTIMEZONE, VEVENTs in order of start; the farthest events
    are left out (and the calendar says so) when the whole would pass `limit` bytes."""
    settings = ical.IcsSettings(
        zone=local_zone(),
        base_url=current_app.config["BASE_URL"],
        public=public,
        alarm_minutes=meta.alarm_minutes,
    )
    rooms = room_labels()
    with force_locale(meta.locale):
        header = ical.calendar_header(settings, name=meta.name, refresh=REFRESH)
        budget = limit - len(header) - len(ical.FOOTER) - 400  # room for the note below
        chunks: list[bytes] = []
        used = 0
        cut_at: datetime | None = None
        vocabulary = ical.words()
        for event in events:
            components = ical.event_components(event, rooms, settings, vocabulary=vocabulary)
            data = b"".join(c.to_ical(sorted=False) for c in components)
            if used + len(data) > budget:
                cut_at = event.first_starts_at
                break
            chunks.append(data)
            used += len(data)
        if cut_at is not None:
            note = _(
                "The calendar is limited to 1 MB: events from %(day)s on are not shown. "
                "Subscribe to a narrower calendar (a group or a kind of event).",
                day=cut_at.astimezone(settings.zone).strftime("%d.%m.%Y"),
            )
            header = ical.calendar_header(
                settings, name=meta.name, description=note, refresh=REFRESH
            )
    return b"".join([header, *chunks, ical.FOOTER])


# --- serving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedAnswer:
    status: int  # 200 or 304
    etag: str
    last_modified: datetime
    body: bytes | None = None


def answer(
    token: str,
    *,
    if_none_match: Any = None,
    if_modified_since: datetime | None = None,
    now: datetime | None = None,
) -> FeedAnswer:
    """Serve a feed by its token: 304 when the client's copy is current, else the bytes."""
    parsed = read_token(TOKEN_PURPOSE, token)
    if parsed is None:
        raise NotFound("")
    feed_id, version = parsed
    row = read_feed_row(feed_id)
    if row is None or row.revoked_at is not None or row.token_version != version:
        raise NotFound("")
    now = now or utcnow()
    today = now.astimezone(local_zone()).date()
    key = (
        row.id,
        row.token_version,
        row.updated_at,
        row.generation,
        row.changed_at,
        today,
        organisation_timezone(),
    )
    meta = _META.get(key)
    if meta is None:
        window = window_for(today)
        meta = _compute_meta(row, window, row.changed_at)
        _META.put(key, meta)
    if not meta.allowed:
        raise NotFound("")
    if row.last_used_at is None or now - row.last_used_at >= USE_RECORDED_EVERY:
        _record_use(row.id, now)
    if _fresh(meta, if_none_match, if_modified_since):
        return FeedAnswer(304, meta.etag, meta.last_modified)
    cache = _bodies()
    body_key = (meta.scope_key, meta.fingerprint)
    body = cache.get(body_key)
    if body is None:
        scope = FeedScope(row.scope)
        owner = db.session.get(User, row.owner_id)
        events = iter_events(_scope_clause(scope, row, owner), window_for(today))
        limit = current_app.config.get("EVENTS_FEED_MAX_BYTES", 1_000_000)
        body = render(events, meta, public=scope is FeedScope.PUBLIC, limit=limit)
        cache.put(body_key, body, len(body))
    return FeedAnswer(200, meta.etag, meta.last_modified, body)


class FeedRow(NamedTuple):
    """What a poll needs of a feed, and the events generation counter, in one row."""

    id: int
    owner_id: int
    scope: FeedScope
    group_id: int | None
    department_id: int | None
    kind: EventKind | None
    token_version: int
    alarm_minutes: int | None
    updated_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    generation: int
    changed_at: datetime | None


_ROW_SQL: dict[str, tuple[str, tuple[str, ...] | None]] = {}


def _row_statement(dialect: Any) -> tuple[str, tuple[str, ...] | None]:
    """The feed-row query compiled once per dialect (building a select costs more than
    running it)."""
    found = _ROW_SQL.get(dialect.name)
    if found is None:
        c = CalendarFeed.__table__.c
        state = EventsState.__table__.c
        statement = (
            select(
                c.id,
                c.owner_id,
                c.scope,
                c.group_id,
                c.department_id,
                c.kind,
                c.token_version,
                c.alarm_minutes,
                c.updated_at,
                c.last_used_at,
                c.revoked_at,
                state.generation,
                state.changed_at,
            )
            .select_from(CalendarFeed.__table__)
            .outerjoin(EventsState.__table__, state.id == literal(STATE_ID))
            .where(c.id == bindparam("feed_id"))
        )
        compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": False})
        order = tuple(compiled.positiontup) if compiled.positional else None
        found = _ROW_SQL[dialect.name] = (str(compiled), order)
    return found


def read_feed_row(feed_id: int) -> FeedRow | None:
    """The feed's row and the generation counter straight from the driver: a poll that
    changes nothing runs this one query and no other work of the ORM."""
    bind = db.session.get_bind()
    own = None
    if isinstance(bind, Connection):  # a session bound to one connection (the tests)
        raw = bind.connection.driver_connection
    else:
        own = bind.raw_connection()
        raw = own.driver_connection
    sql, order = _row_statement(bind.dialect)
    values = {"feed_id": feed_id, "param_1": STATE_ID}
    params: Any = tuple(values[name] for name in order) if order else values
    try:
        cursor = raw.cursor()
        cursor.execute(sql, params)
        found = cursor.fetchone()
        cursor.close()
    finally:
        if own is not None:
            own.close()
    if found is None:
        return None
    (
        id_,
        owner_id,
        scope,
        group_id,
        department_id,
        kind,
        version,
        alarm,
        updated_at,
        last_used_at,
        revoked_at,
        generation,
        changed_at,
    ) = found
    return FeedRow(
        id_,
        owner_id,
        FeedScope(scope),
        group_id,
        department_id,
        EventKind(kind) if kind else None,
        version,
        alarm,
        _utc(updated_at),
        _utc(last_used_at),
        _utc(revoked_at),
        generation or 0,
        _utc(changed_at),
    )


def _utc(value: Any) -> datetime | None:
    """A UTC column as the driver gives it (SQLite: text; PostgreSQL: naive) → aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _fresh(meta: Meta, if_none_match: Any, if_modified_since: datetime | None) -> bool:
    if if_none_match:  # ETags win over dates (RFC 9110 §13.1.3)
        return if_none_match.contains_weak(meta.etag.strip('"'))
    if if_modified_since is not None:
        return meta.last_modified <= if_modified_since
    return False


@contextlib.contextmanager
def _short_write() -> Iterator[Any]:
    """Like intranet.database.write_transaction, but gives up after a moment instead of
    waiting out the busy timeout: bookkeeping must never hold up a calendar's poll."""
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.driver_connection
        if sqlite:
            raw.execute("PRAGMA busy_timeout = 100")
        try:
            with conn.begin():
                if not sqlite:
                    conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
                yield conn
        finally:
            if sqlite:
                timeout = int(current_app.config["SQLITE_BUSY_TIMEOUT_MS"])
                raw.execute(f"PRAGMA busy_timeout = {timeout}")


def _record_use(feed_id: int, now: datetime) -> None:
    """Remember the last poll, at most hourly, in a short transaction of its own: the GET
    itself never takes the write lock."""
    c = CalendarFeed.__table__.c
    try:
        with _short_write() as conn:
            conn.execute(
                update(CalendarFeed.__table__)
                .where(
                    c.id == feed_id,
                    or_(c.last_used_at.is_(None), c.last_used_at < now - USE_RECORDED_EVERY),
                )
                .values(last_used_at=now, updated_at=c.updated_at)  # not a settings change
            )
    except DBAPIError as error:
        log.info("feed %s: last use not recorded (%s)", feed_id, type(error.orig).__name__)
