"""System channels: announcements, their immutable revisions, review rounds and decisions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column

from intranet.models.base import Base, TimestampMixin, UTCDateTime, relationship, utcnow
from intranet.models.people import Role, User
from intranet.models.structure import StudyGroup
from intranet.models.types import str_enum


class Audience(enum.StrEnum):
    STAFF = "staff"
    STUDENTS = "students"
    PARENTS = "parents"
    EVERYONE = "everyone"
    GROUPS = "groups"  # chosen study groups: their students, their parents, or both


channel_group = Table(
    "channel_group",
    Base.metadata,
    Column("channel_id", ForeignKey("channel.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("study_group.id", ondelete="CASCADE"), primary_key=True),
)

channel_stage_approver = Table(
    "channel_stage_approver",
    Base.metadata,
    Column("stage_id", ForeignKey("channel_stage.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Channel(TimestampMixin, Base):
    """A system channel of the college (§2.1): who reads it and who approves what goes in."""

    __tablename__ = "channel"
    __table_args__ = (
        CheckConstraint(
            "audience != 'groups' OR group_students OR group_parents", name="group_readers"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_key: Mapped[str] = mapped_column(String(120), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[Audience] = mapped_column(str_enum(Audience))
    group_students: Mapped[bool] = mapped_column(Boolean, default=True)
    group_parents: Mapped[bool] = mapped_column(Boolean, default=False)
    sferum_url: Mapped[str] = mapped_column(String(500), default="")
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)

    stages: Mapped[list[ChannelStage]] = relationship(
        back_populates="channel",
        cascade="all, delete-orphan",
        order_by="ChannelStage.position",
    )
    groups: Mapped[list[StudyGroup]] = relationship(secondary=channel_group)


class ChannelStage(Base):
    """One review stage: one approval from the approver role or one of the named people."""

    __tablename__ = "channel_stage"
    __table_args__ = (
        UniqueConstraint("channel_id", "position"),
        CheckConstraint("position >= 1", name="position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    approver_role: Mapped[Role | None] = mapped_column(str_enum(Role))

    channel: Mapped[Channel] = relationship(back_populates="stages")
    approvers: Mapped[list[User]] = relationship(
        secondary=channel_stage_approver, order_by="User.name_key"
    )


class AnnouncementStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    DECLINED = "declined"
    SCHEDULED = "scheduled"  # approved; the worker publishes it at go_live_at
    PUBLISHED = "published"
    EXPIRED = "expired"  # unpublished when expire_at passed
    CANCELLED = "cancelled"  # withdrawn after publication («отменено»)


# States in which a revision has gone (or is about to go) live.
LIVE_STATES = ("scheduled", "published", "expired", "cancelled")
UNPUBLISHED_STATES = ("draft", "in_review", "changes_requested", "declined")


class RoundKind(enum.StrEnum):
    BEFORE = "before"  # review before publication (or before a correction goes live)
    AFTER = "after"  # an urgent publication reviewed afterwards


class RoundState(enum.StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"  # the text was edited: review restarted on the new revision


class Announcement(TimestampMixin, Base):
    """An announcement for one channel. Its text lives in immutable revisions: `current_no`
    is the newest, `live_no` the one readers see (or will see, when scheduled)."""

    __tablename__ = "announcement"
    __table_args__ = (
        CheckConstraint(
            "status NOT IN ('scheduled', 'published', 'expired', 'cancelled') "
            "OR live_no IS NOT NULL",
            name="live_revision",
        ),
        CheckConstraint(
            "status NOT IN ('draft', 'in_review', 'changes_requested', 'declined') "
            "OR live_no IS NULL",
            name="no_live_revision",
        ),
        CheckConstraint("live_no IS NULL OR live_no <= current_no", name="live_le_current"),
        CheckConstraint("status != 'scheduled' OR go_live_at IS NOT NULL", name="scheduled_at"),
        CheckConstraint(
            "status NOT IN ('published', 'expired', 'cancelled') OR published_at IS NOT NULL",
            name="published_at",
        ),
        CheckConstraint("status != 'expired' OR expired_at IS NOT NULL", name="expired_at"),
        CheckConstraint("status != 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_at"),
        CheckConstraint("NOT is_urgent OR urgent_by_id IS NOT NULL", name="urgent_by"),
        CheckConstraint(
            "status != 'in_review' OR open_review = 'before'", name="in_review_has_round"
        ),
        CheckConstraint(
            "status NOT IN ('draft', 'changes_requested', 'declined', 'expired', 'cancelled') "
            "OR open_review IS NULL",
            name="closed_states_no_round",
        ),
        # Lists read newest first and filter the status row by row: an index that starts with
        # the status would make the database sort every matching row before the LIMIT.
        Index("ix_announcement_channel_feed", "channel_id", "published_at", "id", "status"),
        # The home feed walks this one backwards (covering: no row is read to filter).
        Index("ix_announcement_feed", "published_at", "id", "channel_id", "status"),
        Index("ix_announcement_mandatory", "is_mandatory", "status", "published_at"),
        Index("ix_announcement_updated", "updated_at", "id"),
        Index("ix_announcement_due", "status", "go_live_at"),
        Index("ix_announcement_expiry", "status", "expire_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[AnnouncementStatus] = mapped_column(
        str_enum(AnnouncementStatus), default=AnnouncementStatus.DRAFT
    )
    # Every UPDATE checks and bumps it: two transitions racing cannot both succeed.
    version: Mapped[int] = mapped_column(Integer, default=1)
    current_no: Mapped[int] = mapped_column(Integer, default=1)
    live_no: Mapped[int | None] = mapped_column(Integer)
    # The kind of the open review round, if any (kept with the round in one transaction).
    open_review: Mapped[RoundKind | None] = mapped_column(str_enum(RoundKind))

    # Settings of the live (or scheduled) revision, copied for the queries that need them.
    go_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expire_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_mandatory: Mapped[bool] = mapped_column(Boolean, default=False)

    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    is_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sferum_url: Mapped[str] = mapped_column(String(500), default="")
    sferum_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sferum_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    __mapper_args__ = {"version_id_col": version}

    channel: Mapped[Channel] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    urgent_by: Mapped[User | None] = relationship(foreign_keys=[urgent_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="announcement",
        order_by="Revision.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    live_revision: Mapped[Revision | None] = relationship(
        primaryjoin=lambda: and_(
            foreign(Revision.announcement_id) == Announcement.id,
            foreign(Revision.number) == Announcement.live_no,
        ),
        viewonly=True,
        uselist=False,
    )
    current_revision: Mapped[Revision] = relationship(
        primaryjoin=lambda: and_(
            foreign(Revision.announcement_id) == Announcement.id,
            foreign(Revision.number) == Announcement.current_no,
        ),
        viewonly=True,
        uselist=False,
    )

    @property
    def has_pending_revision(self) -> bool:
        """A newer text than the live one exists (an edit of a scheduled or published item)."""
        return self.live_no is not None and self.current_no > self.live_no

    @property
    def is_readable(self) -> bool:
        return self.status in (AnnouncementStatus.PUBLISHED, AnnouncementStatus.CANCELLED)


class Revision(Base):
    """One immutable version of an announcement's text and settings."""

    __tablename__ = "revision"
    __table_args__ = (
        UniqueConstraint("announcement_id", "number"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint(
            "expire_at IS NULL OR go_live_at IS NULL OR expire_at > go_live_at",
            name="expiry_after_start",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcement.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # Markdown as written
    body_html: Mapped[str] = mapped_column(Text)  # rendered and cleaned when the revision was made
    search_key: Mapped[str] = mapped_column(Text)  # fold(title + body) for Russian search
    go_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expire_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    announcement: Mapped[Announcement] = relationship(back_populates="revisions")
    author: Mapped[User] = relationship()


class ReviewRound(Base):
    """Review of one revision through the channel's stages (a snapshot taken on submit)."""

    __tablename__ = "review_round"
    __table_args__ = (
        CheckConstraint(
            "(state = 'open' AND closed_at IS NULL) OR (state != 'open' AND closed_at IS NOT NULL)",
            name="closed_when_done",
        ),
        CheckConstraint("stage >= 1", name="stage"),
        # At most one open round per announcement, enforced by the database.
        Index(
            "uq_review_round_open",
            "announcement_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcement.id", ondelete="CASCADE"), index=True
    )
    revision_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[RoundKind] = mapped_column(str_enum(RoundKind), default=RoundKind.BEFORE)
    state: Mapped[RoundState] = mapped_column(str_enum(RoundState), default=RoundState.OPEN)
    stage: Mapped[int] = mapped_column(Integer, default=1)
    # [{"role": "deputy" | None, "people": [user ids]}, ...] as the channel had them on submit.
    stages: Mapped[list] = mapped_column(JSON)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    announcement: Mapped[Announcement] = relationship()
    opened_by: Mapped[User | None] = relationship()
    decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="round", order_by="ReviewDecision.stage", cascade="all, delete-orphan"
    )

    @property
    def stage_count(self) -> int:
        return len(self.stages)


class Verdict(enum.StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    DECLINED = "declined"


class ReviewDecision(Base):
    """A reviewer's decision on one stage, bound to the revision it was given on."""

    __tablename__ = "review_decision"
    __table_args__ = (
        # One decision per stage of a round: a second approval racing for it fails here.
        UniqueConstraint("round_id", "stage"),
        CheckConstraint("verdict = 'approved' OR comment != ''", name="comment_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id", ondelete="CASCADE"))
    stage: Mapped[int] = mapped_column(Integer)
    revision_no: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    verdict: Mapped[Verdict] = mapped_column(str_enum(Verdict))
    comment: Mapped[str] = mapped_column(Text, default="")
    suggested_text: Mapped[str] = mapped_column(Text, default="")
    for_admins: Mapped[bool] = mapped_column(Boolean, default=False)  # stage passed to admins
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[ReviewRound] = relationship(back_populates="decisions")
    actor: Mapped[User] = relationship()


class Acknowledgement(Base):
    """A staff member confirmed reading a mandatory announcement."""

    __tablename__ = "acknowledgement"
    __table_args__ = (UniqueConstraint("announcement_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcement.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    revision_no: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class MailingReason(enum.StrEnum):
    PUBLISHED = "published"
    CORRECTED = "corrected"
    CANCELLED = "cancelled"


class AnnouncementMailing(Base):
    """A fan-out of e-mail about an announcement, worked through by the worker in batches."""

    __tablename__ = "announcement_mailing"
    __table_args__ = (Index("ix_announcement_mailing_open", "done_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcement.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[MailingReason] = mapped_column(str_enum(MailingReason))
    revision_no: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    announcement: Mapped[Announcement] = relationship()


class MailingRecipient(Base):
    """Who was e-mailed in a mailing: corrections and cancellations go to the same people."""

    __tablename__ = "mailing_recipient"
    __table_args__ = (UniqueConstraint("mailing_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(
        ForeignKey("announcement_mailing.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    is_sent: Mapped[bool] = mapped_column(Boolean, default=True)  # False: switched off in settings
