"""Delivery: claiming messages with a lease, sending them, retries, and shutdown.

Delivery is at-least-once. A worker claims a batch in one short transaction (FOR UPDATE SKIP
LOCKED on PostgreSQL; on SQLite the worker's transactions begin IMMEDIATE, so claims are
serialised), sends outside any transaction, and marks each message sent in its own commit
right after the server accepted it: a crash duplicates at most the message in hand, and the
resend carries the same bytes, so the same Message-ID.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, or_, select, text, update

from intranet.extensions import db
from intranet.jobs import register_job
from intranet.models import OutboxMessage, OutboxStatus
from intranet.models.base import utcnow
from intranet.services.mail.transport import ConnectionFailure, DeliveryFailure, Transport

log = logging.getLogger("intranet.mail")
S = OutboxStatus


@dataclass(frozen=True)
class DeliverySettings:
    batch_size: int = 50
    lease_seconds: float = 120.0
    max_attempts: int = 12
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 3 * 3600.0

    @classmethod
    def from_config(cls, config) -> DeliverySettings:
        return cls(
            batch_size=max(1, int(config["MAIL_BATCH_SIZE"])),
            lease_seconds=max(1.0, float(config["MAIL_LEASE_SECONDS"])),
            max_attempts=max(1, int(config["MAIL_MAX_ATTEMPTS"])),
            retry_base_seconds=float(config["MAIL_RETRY_BASE_SECONDS"]),
            retry_max_seconds=float(config["MAIL_RETRY_MAX_SECONDS"]),
        )


@dataclass
class Claimed:
    id: int
    message_id: str
    sender: str
    recipients: list[str]
    raw: bytes
    attempts: int


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)


# --- claiming and recording outcomes (each its own short transaction) ------------------------


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status.in_([S.PENDING, S.RETRY]), OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == S.SENDING, OutboxMessage.lease_until < now),
    )


def claim(worker_id: str, *, limit: int, lease_seconds: float) -> list[Claimed]:
    """Take up to `limit` due messages (and claims whose lease expired), committed at once."""
    now = utcnow()
    try:
        ids = list(
            db.session.scalars(
                select(OutboxMessage.id)
                .where(_due(now))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            db.session.commit()
            return []
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(
                status=S.SENDING,
                lease_until=now + timedelta(seconds=lease_seconds),
                claimed_by=worker_id,
            )
            .execution_options(synchronize_session=False)
        )
        rows = db.session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.message_id,
                OutboxMessage.sender,
                OutboxMessage.recipients,
                OutboxMessage.raw,
                OutboxMessage.attempts,
            )
            .where(OutboxMessage.id.in_(ids))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        ).all()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return [Claimed(r[0], r[1], r[2], list(r[3]), bytes(r[4]), r[5]) for r in rows]


# The per-message writes go through the table, not the ORM: a quarter less work per message.
_T = OutboxMessage.__table__


def mark_sent(message: Claimed, *, refused: dict | None = None) -> None:
    """The server accepted the message: record it at once, in its own commit."""
    now = utcnow()
    note = "; ".join(f"{rcpt}: {reply}" for rcpt, reply in (refused or {}).items())
    _commit(
        update(_T)
        .where(_T.c.id == message.id, _T.c.status != S.SENT)
        .values(
            status=S.SENT,
            sent_at=now,
            attempts=_T.c.attempts + 1,
            last_attempt_at=now,
            lease_until=None,
            last_error=f"refused: {note}"[:1000] if note else None,
        )
    )


def mark_failed(
    message: Claimed, error: str, *, permanent: bool, worker_id: str, settings: DeliverySettings
) -> OutboxStatus:
    """A failed attempt: dead when permanent or out of attempts, else retry after a backoff."""
    now = utcnow()
    attempts = message.attempts + 1
    dead = permanent or attempts >= settings.max_attempts
    values = {
        "attempts": _T.c.attempts + 1,
        "last_attempt_at": now,
        "last_error": error[:1000],
        "lease_until": None,
        "status": S.DEAD if dead else S.RETRY,
    }
    if not dead:
        values["next_attempt_at"] = now + timedelta(seconds=backoff(attempts, settings))
    _commit(
        update(_T)
        .where(
            _T.c.id == message.id,
            _T.c.status == S.SENDING,
            _T.c.claimed_by == worker_id,
        )
        .values(**values)
    )
    return S.DEAD if dead else S.RETRY


def backoff(attempts: int, settings: DeliverySettings) -> float:
    """Seconds before the next try: doubling from the base, capped, with jitter (½…1×)."""
    delay = min(settings.retry_max_seconds, settings.retry_base_seconds * 2 ** (attempts - 1))
    return delay * random.uniform(0.5, 1.0)


def release(ids: list[int], *, worker_id: str) -> int:
    """Give back claimed messages not yet sent (shutdown): other workers take them at once."""
    if not ids:
        return 0
    return _commit(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == S.SENDING,
            OutboxMessage.claimed_by == worker_id,
        )
        .values(
            status=case((OutboxMessage.attempts > 0, S.RETRY.value), else_=S.PENDING.value),
            lease_until=None,
        )
    )


def renew(ids: list[int], *, worker_id: str, lease_seconds: float) -> set[int]:
    """Extend this worker's claim on these messages; returns the ids it still holds."""
    try:
        mine = (
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == S.SENDING,
            OutboxMessage.claimed_by == worker_id,
        )
        db.session.execute(
            update(OutboxMessage)
            .where(*mine)
            .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        held = set(db.session.scalars(select(OutboxMessage.id).where(*mine)))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return held


def _commit(statement) -> int:
    try:
        if db.engine.dialect.name == "postgresql":
            # Each outcome is committed at once, but need not wait for the disk: if the
            # database server itself crashes, a mark lost from its last instant only means
            # the message is sent again, with the same Message-ID (SQLite's WAL with
            # synchronous=NORMAL behaves the same). Waiting would cap a worker at the
            # disk's flush rate, tens of commits per second on a slow disk.
            db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        result = db.session.execute(statement.execution_options(synchronize_session=False))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result.rowcount


# --- one batch --------------------------------------------------------------------------------


def deliver_batch(
    transport: Transport,
    *,
    worker_id: str,
    settings: DeliverySettings,
    should_stop: Callable[[], bool] = lambda: False,
) -> BatchResult:
    """Claim a batch and send it over one connection; stop early (releasing the rest) when
    asked to. No transaction is open while the transport talks to the server."""
    result = BatchResult()
    batch = claim(worker_id, limit=settings.batch_size, lease_seconds=settings.lease_seconds)
    result.claimed = len(batch)
    if not batch:
        return result
    pending = list(batch)
    renewed_at = time.monotonic()
    try:
        while pending:
            if should_stop():
                break
            if time.monotonic() - renewed_at > settings.lease_seconds / 3:
                held = renew(
                    [m.id for m in pending],
                    worker_id=worker_id,
                    lease_seconds=settings.lease_seconds,
                )
                pending = [m for m in pending if m.id in held]
                renewed_at = time.monotonic()
                continue
            message = pending.pop(0)
            try:
                refused = transport.send(
                    message.sender, message.recipients, message.raw, name=_file_name(message)
                )
            except ConnectionFailure as error:
                # The server is unreachable: this message and every one left wait their turn.
                for item in (message, *pending):
                    status = mark_failed(
                        item, str(error), permanent=False, worker_id=worker_id, settings=settings
                    )
                    _count(result, status)
                result.errors.append(str(error))
                pending = []
                break
            except DeliveryFailure as error:
                status = mark_failed(
                    message,
                    str(error),
                    permanent=error.permanent,
                    worker_id=worker_id,
                    settings=settings,
                )
                _count(result, status)
                result.errors.append(str(error))
                continue
            mark_sent(message, refused=refused)
            result.sent += 1
    finally:
        transport.close()
        if pending:
            result.released = release([m.id for m in pending], worker_id=worker_id)
    return result


def _count(result: BatchResult, status: OutboxStatus) -> None:
    if status is S.DEAD:
        result.dead += 1
    else:
        result.retried += 1


def _file_name(message: Claimed) -> str:
    return f"{message.id:08d}-{message.message_id.strip('<>')}"


def has_undelivered() -> bool:
    """Whether any message still waits to be sent (pending, retry or claimed)."""
    found = db.session.scalar(
        select(OutboxMessage.id)
        .where(OutboxMessage.status.in_([S.PENDING, S.RETRY, S.SENDING]))
        .limit(1)
    )
    db.session.commit()
    return found is not None


def purge_sent() -> int:
    """Delete sent messages older than MAIL_KEEP_SENT_DAYS (a daily worker job)."""
    keep = int(current_app.config["MAIL_KEEP_SENT_DAYS"])
    cutoff = utcnow() - timedelta(days=keep)
    result = db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.status == S.SENT, OutboxMessage.sent_at < cutoff)
    )
    return result.rowcount


register_job("mail.purge_sent", 6 * 3600, purge_sent)
