"""The registry of the chats the regulation asks the head, tutors and teachers to keep
(§2.2–2.4): what each chat is for, who keeps it and where people join it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, TimestampMixin, UTCDateTime, relationship, utcnow
from intranet.models.councils import ExtracurricularGroup
from intranet.models.people import User
from intranet.models.structure import Discipline, Platform, StudyGroup
from intranet.models.types import str_enum


class ChatKind(enum.StrEnum):
    HEAD_DEPUTIES = "head_deputies"  # §2.2: the head with the deputies
    HEAD_TEACHERS = "head_teachers"  # §2.2: the head with the teaching staff
    HEAD_PARENTS_COUNCIL = "head_parents_council"  # §2.2: with the parents' council
    HEAD_STUDENT_COUNCIL = "head_student_council"  # §2.2: with the student council
    TUTOR_STUDENTS = "tutor_students"  # §2.3: the tutor with the group's students
    TUTOR_PARENTS = "tutor_parents"  # §2.3: the tutor with the group's parents
    TUTOR_TEACHERS = "tutor_teachers"  # §2.3: the tutor with the group's teachers
    TEACHER_GROUP_DISCIPLINE = "teacher_group_discipline"  # §2.4: group × discipline
    TEACHER_EXTRACURRICULAR = "teacher_extracurricular"  # §2.4: a кружок or секция
    OTHER = "other"  # «иные чаты»


class ChatStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


# Kinds tied to a group, to a discipline and to a club: the service enforces these.
GROUP_KINDS = frozenset(
    {
        ChatKind.TUTOR_STUDENTS,
        ChatKind.TUTOR_PARENTS,
        ChatKind.TUTOR_TEACHERS,
        ChatKind.TEACHER_GROUP_DISCIPLINE,
    }
)
HEAD_KINDS = frozenset(
    {
        ChatKind.HEAD_DEPUTIES,
        ChatKind.HEAD_TEACHERS,
        ChatKind.HEAD_PARENTS_COUNCIL,
        ChatKind.HEAD_STUDENT_COUNCIL,
    }
)
TUTOR_KINDS = frozenset({ChatKind.TUTOR_STUDENTS, ChatKind.TUTOR_PARENTS, ChatKind.TUTOR_TEACHERS})


class Chat(TimestampMixin, Base):
    """A chat on the college's messenger, registered by the person who keeps it."""

    __tablename__ = "chat"
    __table_args__ = (CheckConstraint("member_count IS NULL OR member_count >= 0", name="members"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ChatKind] = mapped_column(str_enum(ChatKind, length=32), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("study_group.id", ondelete="SET NULL"), index=True
    )
    discipline_id: Mapped[int | None] = mapped_column(
        ForeignKey("discipline.id", ondelete="SET NULL"), index=True
    )
    club_id: Mapped[int | None] = mapped_column(
        ForeignKey("extracurricular_group.id", ondelete="SET NULL"), index=True
    )
    platform: Mapped[Platform] = mapped_column(str_enum(Platform), default=Platform.VK)
    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str] = mapped_column(String(200), index=True)
    invite_url: Mapped[str] = mapped_column(String(500))
    created_on: Mapped[date | None] = mapped_column(Date)
    member_count: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[ChatStatus] = mapped_column(
        str_enum(ChatStatus), default=ChatStatus.ACTIVE, index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")

    owner: Mapped[User] = relationship()
    group: Mapped[StudyGroup | None] = relationship()
    discipline: Mapped[Discipline | None] = relationship()
    club: Mapped[ExtracurricularGroup | None] = relationship()


class ChatLinkSent(Base):
    """That a chat's invitation link was e-mailed to a person (§2.5, §2.6): the last time, by
    whom, and how many times. One row per chat and person."""

    __tablename__ = "chat_link_sent"
    __table_args__ = (UniqueConstraint("chat_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chat.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    times: Mapped[int] = mapped_column(Integer, default=1)


class ChatDigestSent(Base):
    """When a keeper was last sent the weekly digest of their missing chats."""

    __tablename__ = "chat_digest_sent"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    missing: Mapped[int] = mapped_column(Integer, default=0)
