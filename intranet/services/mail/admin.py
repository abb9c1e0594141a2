"""The «Почта» page: messages by status, their contents, retries, a test message, jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import defer

from intranet.extensions import db
from intranet.jobs import HEARTBEAT, Job, job_states
from intranet.models import JobRun, OutboxMessage, OutboxStatus, User
from intranet.models.base import fold, utcnow
from intranet.policy import can
from intranet.services import audit
from intranet.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from intranet.services.mail.queue import queue_mail
from intranet.services.mail.transport import transport_for

S = OutboxStatus

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
