"""Help-desk tables: tickets, their messages, vendor cases, incidents, inbound mail, articles."""

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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, TimestampMixin, UTCDateTime, relationship, utcnow
from intranet.models.people import User
from intranet.models.structure import Platform
from intranet.models.types import str_enum


class Category(enum.StrEnum):
    """What Sferum users actually hit; the order is the order of the form."""

    LOGIN = "login"  # signing in, confirmation codes
    REGISTRATION = "registration"  # VK ID, Госуслуги
    WRONG_ROLE = "wrong_role"  # wrong role or group: the college's own
    PARENT_JOIN = "parent_join"
    CHAT_ACCESS = "chat_access"  # a chat not visible or read-only
    TEACHER_STATUS = "teacher_status"  # the college's own (§2.1)
    CALLS = "calls"
    FILES = "files"
    MAX_MOVE = "max_move"  # moving to MAX
    JOURNAL = "journal"  # the electronic journal
    OTHER = "other"


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_REQUESTER = "waiting_requester"  # the SLA clock is paused
    ESCALATED = "escalated"  # forwarded to the vendor, the e-mail not yet delivered
    WAITING_VENDOR = "waiting_vendor"
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE_STATUSES = frozenset(
    {
        TicketStatus.NEW,
        TicketStatus.OPEN,
        TicketStatus.WAITING_REQUESTER,
        TicketStatus.ESCALATED,
        TicketStatus.WAITING_VENDOR,
    }
)


class TicketSource(enum.StrEnum):
    WEB = "web"  # a signed-in user's form
    PUBLIC = "public"  # the public form
    EMAIL = "email"


class SlaAlert(enum.StrEnum):
    """How far the sweep has warned about the ticket's current due time."""

    NONE = "none"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class MessageKind(enum.StrEnum):
    PUBLIC = "public"  # seen by the requester
    INTERNAL = "internal"  # staff only
    VENDOR_OUT = "vendor_out"  # what we sent to the vendor (staff only)
    VENDOR_IN = "vendor_in"  # the vendor's answer, for the admin to relay (staff only)


STAFF_ONLY_KINDS = frozenset({MessageKind.INTERNAL, MessageKind.VENDOR_OUT, MessageKind.VENDOR_IN})


class MessageSource(enum.StrEnum):
    WEB = "web"
    EMAIL = "email"
    SYSTEM = "system"


class VendorCaseState(enum.StrEnum):
    QUEUED = "queued"  # the forward is in the outbox
    SENT = "sent"  # delivered; waiting for the vendor
    ANSWERED = "answered"  # the vendor wrote back
    CLOSED = "closed"


class IncidentStatus(enum.StrEnum):
    ACTIVE = "active"
    RESOLVED = "resolved"


class InboundStatus(enum.StrEnum):
    MATCHED = "matched"  # stored on its ticket
    UNMATCHED = "unmatched"  # waits in the admins' list
    DROPPED = "dropped"  # an auto-reply or our own message: kept only as a record
    ASSIGNED = "assigned"  # an admin attached an unmatched message to a ticket
    DISCARDED = "discarded"  # an admin threw an unmatched message away


class TicketCounter(Base):
    """The last ticket number issued per year: HD-2026-00042 is (2026, 42)."""

    __tablename__ = "helpdesk_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Incident(Base):
    """One outage that many tickets are about; may show a banner until resolved."""

    __tablename__ = "helpdesk_incident"
    __table_args__ = (
        CheckConstraint("status <> 'resolved' OR resolved_at IS NOT NULL", name="resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[IncidentStatus] = mapped_column(
        str_enum(IncidentStatus), default=IncidentStatus.ACTIVE, index=True
    )
    show_banner: Mapped[bool] = mapped_column(Boolean, default=False)
    banner_text: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by: Mapped[User | None] = relationship()


class Ticket(Base):
    """A request for help with Sferum, from a signed-in user or through the public form."""

    __tablename__ = "helpdesk_ticket"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        CheckConstraint(
            "status NOT IN ('resolved', 'closed') OR resolved_at IS NOT NULL", name="resolved_at"
        ),
        CheckConstraint(
            "status <> 'waiting_requester' OR sla_paused_at IS NOT NULL", name="paused"
        ),
        CheckConstraint("status <> 'closed' OR closed_at IS NOT NULL", name="closed_at"),
        Index("ix_helpdesk_ticket_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    subject_key: Mapped[str] = mapped_column(String(200), index=True)
    category: Mapped[Category] = mapped_column(str_enum(Category), index=True)
    priority: Mapped[Priority] = mapped_column(str_enum(Priority), default=Priority.NORMAL)
    status: Mapped[TicketStatus] = mapped_column(
        str_enum(TicketStatus), default=TicketStatus.NEW, index=True
    )
    source: Mapped[TicketSource] = mapped_column(str_enum(TicketSource), default=TicketSource.WEB)
    platform: Mapped[Platform | None] = mapped_column(str_enum(Platform))
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # the category's questions

    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    for_student_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str | None] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(16))
    consent_personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_vendor: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    public_token_version: Mapped[int] = mapped_column(Integer, default=0)

    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("helpdesk_incident.id", ondelete="SET NULL"), index=True
    )

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # SLA: due times in working hours; `due_at` is whichever is next (None while paused or done).
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0)  # working seconds
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)  # working seconds
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)  # working seconds
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_alert: Mapped[SlaAlert] = mapped_column(str_enum(SlaAlert), default=SlaAlert.NONE)
    escalation_proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id])
    for_student: Mapped[User | None] = relationship(foreign_keys=[for_student_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    incident: Mapped[Incident | None] = relationship()
    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id", cascade="all, delete-orphan"
    )
    vendor_cases: Mapped[list[VendorCase]] = relationship(
        back_populates="ticket", order_by="VendorCase.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.status}>"


class TicketMessage(Base):
    """A public reply, an internal note, or mail exchanged with the vendor."""

    __tablename__ = "helpdesk_message"
    __table_args__ = (Index("ix_helpdesk_message_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("helpdesk_ticket.id", ondelete="CASCADE"))
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind), default=MessageKind.PUBLIC)
    source: Mapped[MessageSource] = mapped_column(
        str_enum(MessageSource), default=MessageSource.WEB
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    author_label: Mapped[str] = mapped_column(String(300), default="")  # a name or an address
    from_requester: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[TicketAttachment]] = relationship(
        back_populates="message", order_by="TicketAttachment.id", cascade="all, delete-orphan"
    )

    @property
    def is_public(self) -> bool:
        return self.kind is MessageKind.PUBLIC


class TicketAttachment(Base):
    """A stored upload attached to a message; the ticket id is kept for the permission check."""

    __tablename__ = "helpdesk_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("helpdesk_ticket.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(
        ForeignKey("helpdesk_message.id", ondelete="CASCADE"), index=True
    )
    upload_id: Mapped[int] = mapped_column(ForeignKey("upload.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    is_staff_only: Mapped[bool] = mapped_column(Boolean, default=False)

    message: Mapped[TicketMessage] = relationship(back_populates="attachments")


class VendorCase(Base):
    """A ticket forwarded to the vendor's support: its own clock, reference and reminders."""

    __tablename__ = "helpdesk_vendor_case"
    __table_args__ = (
        CheckConstraint("state = 'queued' OR sent_at IS NOT NULL", name="sent_at"),
        CheckConstraint("state <> 'closed' OR closed_at IS NOT NULL", name="closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("helpdesk_ticket.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[VendorCaseState] = mapped_column(
        str_enum(VendorCaseState), default=VendorCaseState.QUEUED, index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)  # the forward exactly as it left
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    include_personal: Mapped[bool] = mapped_column(Boolean, default=False)
    steps_taken: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    vendor_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    first_vendor_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_vendor_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # forward or reminder
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    ticket: Mapped[Ticket] = relationship(back_populates="vendor_cases")
    created_by: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.state is not VendorCaseState.CLOSED


class MailDirection(enum.StrEnum):
    OUT = "out"
    IN = "in"


class MailRef(Base):
    """A Message-ID that belongs to a ticket's thread, so replies find their ticket."""

    __tablename__ = "helpdesk_mail_ref"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("helpdesk_ticket.id", ondelete="CASCADE"), index=True
    )
    vendor_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("helpdesk_vendor_case.id", ondelete="SET NULL")
    )
    direction: Mapped[MailDirection] = mapped_column(str_enum(MailDirection))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InboundMail(Base):
    """Every message the help desk received, once per Message-ID, and what became of it."""

    __tablename__ = "helpdesk_inbound"
    __table_args__ = (
        CheckConstraint(
            "status NOT IN ('matched', 'assigned') OR ticket_id IS NOT NULL", name="ticket"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    from_address: Mapped[str] = mapped_column(String(254), default="")
    from_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[InboundStatus] = mapped_column(str_enum(InboundStatus), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    matched_by: Mapped[str] = mapped_column(String(20), default="")
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("helpdesk_ticket.id", ondelete="SET NULL"), index=True
    )
    size: Mapped[int] = mapped_column(Integer, default=0)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # kept while an admin must decide
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    ticket: Mapped[Ticket | None] = relationship()
    handled_by: Mapped[User | None] = relationship()


class HelpArticle(TimestampMixin, Base):
    """A short help article in Markdown, shown by category before a ticket is filed."""

    __tablename__ = "helpdesk_article"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[Category | None] = mapped_column(str_enum(Category), index=True)
    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str] = mapped_column(String(200), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()


class CannedReply(TimestampMixin, Base):
    """A prepared answer the admins insert into a reply and then adapt."""

    __tablename__ = "helpdesk_canned_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str] = mapped_column(String(200), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
