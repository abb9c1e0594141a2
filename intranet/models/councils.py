"""Councils (the parents' and the student council, §2.2) and extracurricular groups (кружки,
секции, §1.4 and §2.4) with their members."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, TimestampMixin, relationship
from intranet.models.documents import Document
from intranet.models.people import User
from intranet.models.types import str_enum


class CouncilKind(enum.StrEnum):
    PARENTS = "parents"  # родительский актив
    STUDENTS = "students"  # студенческий актив


class Council(TimestampMixin, Base):
    __tablename__ = "council"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CouncilKind] = mapped_column(str_enum(CouncilKind), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    basis_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))

    basis: Mapped[Document | None] = relationship()


class CouncilMember(Base):
    __tablename__ = "council_member"
    __table_args__ = (UniqueConstraint("council_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(
        ForeignKey("council.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    position: Mapped[str] = mapped_column(String(80), default="")  # председатель, секретарь …
    since: Mapped[date] = mapped_column(Date)

    user: Mapped[User] = relationship()
    council: Mapped[Council] = relationship()


class ClubKind(enum.StrEnum):
    CLUB = "club"  # кружок
    SECTION = "section"  # спортивная секция
    STUDIO = "studio"  # студия, объединение


class ExtracurricularGroup(TimestampMixin, Base):
    """A кружок or секция: a leader (a teacher or педагог доп. образования) and members."""

    __tablename__ = "extracurricular_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ClubKind] = mapped_column(str_enum(ClubKind), default=ClubKind.CLUB)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    schedule: Mapped[str] = mapped_column(String(200), default="")
    leader_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    leader: Mapped[User | None] = relationship()


class ExtracurricularMember(Base):
    __tablename__ = "extracurricular_member"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("extracurricular_group.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    joined_on: Mapped[date] = mapped_column(Date)

    user: Mapped[User] = relationship()
    group: Mapped[ExtracurricularGroup] = relationship()
