"""Movement of students and staff: transfers, leave, return, expulsion, graduation, hiring and
leaving, each with an effective date, a basis (a document of the register) and a comment."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, UTCDateTime, relationship, utcnow
from intranet.models.documents import Document
from intranet.models.people import User
from intranet.models.structure import StudyGroup
from intranet.models.types import str_enum


class MovementKind(enum.StrEnum):
    TRANSFER = "transfer"  # перевод в другую группу
    ACADEMIC_LEAVE = "academic_leave"  # академический отпуск
    RETURN = "return"  # выход из академического отпуска, восстановление
    EXPULSION = "expulsion"  # отчисление
    GRADUATION = "graduation"  # выпуск
    HIRED = "hired"  # приём на работу
    LEFT = "left"  # увольнение


STUDENT_KINDS = frozenset(
    {
        MovementKind.TRANSFER,
        MovementKind.ACADEMIC_LEAVE,
        MovementKind.RETURN,
        MovementKind.EXPULSION,
        MovementKind.GRADUATION,
    }
)
STAFF_KINDS = frozenset({MovementKind.HIRED, MovementKind.LEFT})


class MovementStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # effective in the future: the worker applies it on the day
    APPLIED = "applied"
    CANCELLED = "cancelled"


class Movement(Base):
    """One movement of one person. Enrollment changes are written when the movement is made
    (enrollments carry dates, so access follows them); what has no dates (accounts, hand-over,
    archiving a group) is done by `apply` on the effective date."""

    __tablename__ = "movement"
    __table_args__ = (
        CheckConstraint("status != 'applied' OR applied_at IS NOT NULL", name="applied"),
        CheckConstraint("kind != 'transfer' OR to_group_id IS NOT NULL", name="transfer_target"),
        Index("ix_movement_effective", "effective_on", "id"),
        Index("ix_movement_due", "status", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MovementKind] = mapped_column(str_enum(MovementKind))
    status: Mapped[MovementStatus] = mapped_column(
        str_enum(MovementStatus), default=MovementStatus.SCHEDULED
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    from_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("study_group.id", ondelete="SET NULL"), index=True
    )
    to_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("study_group.id", ondelete="SET NULL"), index=True
    )
    basis_id: Mapped[int | None] = mapped_column(
        ForeignKey("document.id", ondelete="RESTRICT"), index=True
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    batch: Mapped[str | None] = mapped_column(String(32), index=True)  # a whole group at once
    # What the movement changed in the enrollments, so a scheduled one can be cancelled.
    ended_enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
    previous_ends_on: Mapped[date | None] = mapped_column(Date)
    new_enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)  # what apply did (hand-over …)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[User] = relationship(foreign_keys=[person_id])
    successor: Mapped[User | None] = relationship(foreign_keys=[successor_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    from_group: Mapped[StudyGroup | None] = relationship(foreign_keys=[from_group_id])
    to_group: Mapped[StudyGroup | None] = relationship(foreign_keys=[to_group_id])
    basis: Mapped[Document | None] = relationship()
