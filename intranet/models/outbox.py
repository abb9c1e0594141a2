"""The mail outbox, the worker's job leases and each person's choice of mail kinds."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, UTCDateTime, utcnow
from intranet.models.types import str_enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"
    RETRY = "retry"  # a temporary failure; tried again at next_attempt_at
    DEAD = "dead"  # a permanent failure or too many attempts; an admin may retry it


class OutboxMessage(Base):
    """One e-mail, fully built when it was queued: the worker sends these exact bytes,
    so a resend after a crash carries the same Message-ID, Date and body."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        CheckConstraint(
            "status != 'sending' OR (lease_until IS NOT NULL AND claimed_by IS NOT NULL)",
            name="lease_when_sending",
        ),
        CheckConstraint("status != 'sent' OR sent_at IS NOT NULL", name="sent_at_when_sent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    sender: Mapped[str] = mapped_column(String(320))  # the envelope sender (an address)
    recipients: Mapped[list] = mapped_column(JSON)  # envelope recipients (addresses)
    subject: Mapped[str] = mapped_column(String(300), default="")
    search_key: Mapped[str] = mapped_column(String(1200), default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)

    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(80))  # the last worker to claim it
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status} {self.message_id}>"


class JobRun(Base):
    """A scheduled job's lease and last run, shared by every worker: whoever takes the
    lease of a due job runs it, so several workers never run one job at once."""

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(1000))
    run_count: Mapped[int] = mapped_column(Integer, default=0)


class MailPreference(Base):
    """A person's choice for one optional kind of mail. No row means the kind's default,
    so new kinds need no migration and no rows for people who never changed anything."""

    __tablename__ = "mail_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
