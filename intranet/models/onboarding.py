"""Onboarding: invitation links, the join requests they produce, consents to personal-data
processing (152-ФЗ), and the history of admin appointments."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, UTCDateTime, relationship, utcnow
from intranet.models.documents import Document
from intranet.models.people import Role, User
from intranet.models.structure import Department, StudyGroup
from intranet.models.types import str_enum


class Invitation(Base):
    """A link that lets people join in a role, for a department, a group or (parents) one
    student. Nothing secret is stored: the URL carries an HMAC over (id, token_version)."""

    __tablename__ = "invitation"
    __table_args__ = (
        CheckConstraint("max_uses >= 1", name="max_uses"),
        CheckConstraint("uses >= 0", name="uses"),
        CheckConstraint(
            "role != 'parent' OR (student_id IS NOT NULL AND max_uses = 1)", name="parent_link"
        ),
        CheckConstraint("role != 'student' OR group_id IS NOT NULL", name="student_group"),
        Index("ix_invitation_created_by", "created_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("study_group.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    department: Mapped[Department | None] = relationship()
    group: Mapped[StudyGroup | None] = relationship()
    student: Mapped[User | None] = relationship(foreign_keys=[student_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def uses_left(self) -> int:
        return max(0, self.max_uses - self.uses)


class JoinStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class JoinRequest(Base):
    """Someone asks to join the college in a role; an admin (for a parent, also the student's
    tutor) approves or rejects it with a reason."""

    __tablename__ = "join_request"
    __table_args__ = (
        CheckConstraint("status = 'pending' OR decided_at IS NOT NULL", name="decided"),
        CheckConstraint("status != 'rejected' OR reason != ''", name="reason"),
        Index("ix_join_request_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL")
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("study_group.id", ondelete="SET NULL"), index=True
    )
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    relation: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[JoinStatus] = mapped_column(str_enum(JoinStatus), default=JoinStatus.PENDING)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invitation: Mapped[Invitation | None] = relationship()
    department: Mapped[Department | None] = relationship()
    group: Mapped[StudyGroup | None] = relationship()
    student: Mapped[User | None] = relationship(foreign_keys=[student_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Consent(Base):
    """Consent to personal-data processing (152-ФЗ): who, when, which version of the policy,
    and when the person withdrew it (the row stays: the log is the evidence)."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    policy_version: Mapped[str] = mapped_column(String(20))
    context: Mapped[str] = mapped_column(String(20))  # registration, activation
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    withdrawal_ip: Mapped[str | None] = mapped_column(String(45))


class AdminAction(enum.StrEnum):
    APPOINTED_MAIN = "appointed_main"
    APPOINTED = "appointed"
    REMOVED = "removed"


class AdminAppointment(Base):
    """The history of platform administrators (§2.1): the head appoints the main one by an
    order, the main one appoints and removes more."""

    __tablename__ = "admin_appointment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    action: Mapped[AdminAction] = mapped_column(str_enum(AdminAction))
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)
    basis_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    basis: Mapped[Document | None] = relationship()
