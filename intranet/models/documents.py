"""The documents register: the Положение, the head's orders and the teachers' council minutes."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, TimestampMixin, relationship
from intranet.models.people import User
from intranet.models.types import str_enum
from intranet.models.uploads import Upload


class DocumentKind(enum.StrEnum):
    REGULATION = "regulation"  # положение
    ORDER = "order"  # приказ
    PROTOCOL = "protocol"  # протокол педагогического совета
    OTHER = "other"


class Document(TimestampMixin, Base):
    """One entry of the register: what tutor assignments, admin appointments and movements
    name as their basis."""

    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint(
            "in_force_to IS NULL OR in_force_from IS NULL OR in_force_to >= in_force_from",
            name="in_force",
        ),
        Index("ix_document_kind_issued", "kind", "issued_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    number: Mapped[str] = mapped_column(String(40), default="")
    issued_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    title_key: Mapped[str] = mapped_column(String(360), index=True)  # fold(number + title)
    in_force_from: Mapped[date | None] = mapped_column(Date)
    in_force_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("upload.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    upload: Mapped[Upload | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def in_force_on(self, day: date) -> bool:
        """Whether the document is in force on this day (open ends count as in force)."""
        starts = self.in_force_from or self.issued_on
        return starts <= day and (self.in_force_to is None or self.in_force_to >= day)
