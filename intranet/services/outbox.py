"""The outbox: claiming messages with a lease, delivering them, retries, and the admin view.

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
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, delete, func, or_, select, update
from sqlalchemy.orm import defer

from intranet.extensions import db
from intranet.jobs import HEARTBEAT, Job, job_states, register_job
from intranet.models import JobRun, OutboxMessage, OutboxStatus, User
from intranet.models.base import fold, utcnow
from intranet.policy import can
from intranet.services import audit
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from intranet.services.mail import queue_mail
from intranet.services.mail_transport import (
    ConnectionFailure,
    DeliveryFailure,
    Transport,
    transport_for,
)

log = logging.getLogger("intranet.outbox")
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


def mark_sent(message: Claimed, *, refused: dict | None = None) -> None:
    """The server accepted the message: record it at once, in its own commit."""
    now = utcnow()
    note = "; ".join(f"{rcpt}: {reply}" for rcpt, reply in (refused or {}).items())
    _commit(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status != S.SENT)
        .values(
            status=S.SENT,
            sent_at=now,
            attempts=OutboxMessage.attempts + 1,
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
        "attempts": OutboxMessage.attempts + 1,
        "last_attempt_at": now,
        "last_error": error[:1000],
        "lease_until": None,
        "status": S.DEAD if dead else S.RETRY,
    }
    if not dead:
        values["next_attempt_at"] = now + timedelta(seconds=backoff(attempts, settings))
    _commit(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == S.SENDING,
            OutboxMessage.claimed_by == worker_id,
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


# --- the admin page ---------------------------------------------------------------------------

STATUS_LABELS = {
    S.PENDING: _l("waiting"),
    S.SENDING: _l("sending"),
    S.SENT: _l("sent"),
    S.RETRY: _l("will retry"),
    S.DEAD: _l("failed"),
}


def browse_query(*, status: OutboxStatus | None = None, search: str = "") -> Select:
    """Messages for the admin list, newest first; the stored bytes are not loaded."""
    query = select(OutboxMessage).options(defer(OutboxMessage.raw))
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    key = fold(search)[:100]
    if key:
        pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                OutboxMessage.search_key.like(pattern, escape="\\"),
                OutboxMessage.message_id == search.strip(),
            )
        )
    return query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())


@dataclass
class Overview:
    counts: dict[OutboxStatus, int]
    jobs: list[tuple[Job, JobRun | None]]
    transport: str
    worker_seen_at: datetime | None
    worker_alive: bool


def overview() -> Overview:
    """What the «Почта» page shows above the list: counts, transport, worker and jobs."""
    jobs = job_states()
    beat = next((run for item, run in jobs if item.name == HEARTBEAT), None)
    seen = beat.last_finished_at if beat is not None else None
    alive = seen is not None and seen > utcnow() - timedelta(minutes=2)
    return Overview(status_counts(), jobs, transport_for(current_app).description, seen, alive)


def status_counts() -> dict[OutboxStatus, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status)
    ).all()
    counts = dict.fromkeys(S, 0)
    counts.update({S(status): n for status, n in rows})
    return counts


def retry(message: OutboxMessage, *, actor: User) -> None:
    """Send a failed (or waiting) message again now, with a fresh count of attempts."""
    if not can(actor, "mail.manage"):
        raise PermissionDenied()
    if message.status not in (S.DEAD, S.RETRY):
        raise InvalidTransition(_("Only a failed or waiting message can be sent again."))
    message.status = S.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.lease_until = None
    db.session.flush()
    audit.record("mail.retried", actor=actor, obj=message, summary=message.subject)


def send_test(*, actor: User) -> OutboxMessage:
    """Queue a test message to the administrator's own address."""
    if not can(actor, "mail.manage"):
        raise PermissionDenied()
    if not actor.email:
        raise ValidationFailed(_("Your profile has no e-mail address to send the test to."))
    row = queue_mail("mail.test", actor, _l("Test message"), "test", {"user": actor})
    if row is None:
        raise ValidationFailed(_("Your profile has no e-mail address to send the test to."))
    audit.record("mail.test_queued", actor=actor, obj=row, summary=row.subject)
    return row


@dataclass
class MessageView:
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None
    attachments: list[tuple[str, str, int]]  # (file name, content type, size)


def read_message(message: OutboxMessage) -> MessageView:
    """The stored message taken apart for reading: headers, text, HTML source, attachments."""
    parsed = message_from_bytes(message.raw, _class=EmailMessage, policy=email_policy.default)
    headers = [(name, str(value)) for name, value in parsed.items()]
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    attachments = []
    for part in parsed.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        attachments.append((part.get_filename() or "", part.get_content_type(), len(payload)))
    return MessageView(
        headers=headers,
        text=text_part.get_content() if text_part is not None else None,
        html=html_part.get_content() if html_part is not None else None,
        attachments=attachments,
    )
