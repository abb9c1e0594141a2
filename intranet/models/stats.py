"""Figures the intranet cannot see itself: the platform's own usage, copied by an admin from
the Sferum administrator's panel as dated snapshots (§2.1, §2.2)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, TimestampMixin, relationship
from intranet.models.people import User
from intranet.models.structure import Platform
from intranet.models.types import str_enum

# Counts that the panel gives for the 30 days before the snapshot's date.
ACTIVITY_FIELDS = ("active_users", "messages", "calls", "broadcasts")


class PlatformSnapshot(TimestampMixin, Base):
    """The panel's figures on one day: members of the organisation, and activity over the
    30 days before. Activity figures the panel did not show stay empty, not zero."""

    __tablename__ = "platform_snapshot"
    __table_args__ = (
        UniqueConstraint("platform", "taken_on"),
        CheckConstraint("members >= 0", name="members"),
        CheckConstraint(
            "active_users IS NULL OR (active_users >= 0 AND active_users <= members)",
            name="active_users",
        ),
        CheckConstraint("messages IS NULL OR messages >= 0", name="messages"),
        CheckConstraint("calls IS NULL OR calls >= 0", name="calls"),
        CheckConstraint("broadcasts IS NULL OR broadcasts >= 0", name="broadcasts"),
        CheckConstraint("chats IS NULL OR chats >= 0", name="chats"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[Platform] = mapped_column(str_enum(Platform), default=Platform.VK)
    taken_on: Mapped[date] = mapped_column(Date, index=True)
    members: Mapped[int] = mapped_column(Integer)  # people in the organisation on the platform
    active_users: Mapped[int | None] = mapped_column(Integer)  # over the 30 days before
    messages: Mapped[int | None] = mapped_column(Integer)  # over the 30 days before
    calls: Mapped[int | None] = mapped_column(Integer)  # calls and video lessons, 30 days
    broadcasts: Mapped[int | None] = mapped_column(Integer)  # live broadcasts, 30 days
    chats: Mapped[int | None] = mapped_column(Integer)  # the organisation's chats on that day
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    entered_by: Mapped[User | None] = relationship()
