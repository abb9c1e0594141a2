"""Uploaded files: stored under random names outside static/, served after a permission check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, UTCDateTime, relationship, utcnow
from intranet.models.people import User


class Upload(Base):
    """One stored file. `purpose` and `owner_id` name what it belongs to (an announcement,
    a ticket …); the policy decides per purpose who may open it."""

    __tablename__ = "upload"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size"),
        Index("ix_upload_owner", "purpose", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(43), unique=True)  # random, in the URL
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)  # random, on disk
    original_name: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
