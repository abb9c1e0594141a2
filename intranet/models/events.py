"""Broadcast scheduling: events of each kind, their sessions and stored occurrences, rooms,
the people taking part, and calendar feeds."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, TimestampMixin, UTCDateTime, relationship, utcnow
from intranet.models.people import Role, User
from intranet.models.structure import Department, Speciality, StudyGroup
from intranet.models.types import str_enum


class EventKind(enum.StrEnum):
    DEMO_EXAM = "demo_exam"  # демонстрационный экзамен
    CHAMPIONSHIP = "championship"  # чемпионат «Профессионалы»
    ABILYMPICS = "abilympics"  # чемпионат «Абилимпикс»
    WEBINAR = "webinar"  # вебинар или семинар для педагогов
    MEETING = "meeting"  # совещание, собрание
    OTHER = "other"


# Kinds that may repeat on a rule; exams and championships are a fixed set of days instead.
RECURRING_KINDS = frozenset({EventKind.WEBINAR, EventKind.MEETING, EventKind.OTHER})
COMPETITION_KINDS = frozenset({EventKind.CHAMPIONSHIP, EventKind.ABILYMPICS})


class EventStatus(enum.StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class BroadcastStatus(enum.StrEnum):
    PLANNED = "planned"
    LIVE = "live"
    ENDED = "ended"


class Attestation(enum.StrEnum):
    GIA = "gia"  # государственная итоговая аттестация
    INTERIM = "interim"  # промежуточная аттестация


class ExamLevel(enum.StrEnum):
    BASIC = "basic"  # базовый уровень
    PROFILE = "profile"  # профильный уровень


class CompetitionStage(enum.StrEnum):
    REGIONAL = "regional"  # региональный этап
    INTERREGIONAL = "interregional"  # межрегиональный (отборочный) этап
    FINAL = "final"  # финал (национальный чемпионат)


class CompetitionCategory(enum.StrEnum):
    MAIN = "main"  # «Профессионалы»: основная
    JUNIORS = "juniors"  # «Профессионалы»: юниоры
    SCHOOLCHILDREN = "schoolchildren"  # «Абилимпикс»: школьники
    STUDENTS = "students"  # «Абилимпикс»: студенты
    SPECIALISTS = "specialists"  # «Абилимпикс»: специалисты


CATEGORIES_BY_KIND = {
    EventKind.CHAMPIONSHIP: (CompetitionCategory.MAIN, CompetitionCategory.JUNIORS),
    EventKind.ABILYMPICS: (
        CompetitionCategory.SCHOOLCHILDREN,
        CompetitionCategory.STUDENTS,
        CompetitionCategory.SPECIALISTS,
    ),
}


class PersonRole(enum.StrEnum):
    CHIEF_EXPERT = "chief_expert"  # главный эксперт
    EXPERT = "expert"  # эксперт экспертной группы
    EXPERT_MENTOR = "expert_mentor"  # эксперт-наставник
    PARTICIPANT = "participant"  # участник


# Whose double booking is a conflict: the people who run the event, not those who attend.
CONFLICTING_PERSON_ROLES = frozenset(
    {PersonRole.CHIEF_EXPERT, PersonRole.EXPERT, PersonRole.EXPERT_MENTOR}
)


class FeedScope(enum.StrEnum):
    PERSONAL = "personal"
    GROUP = "group"
    DEPARTMENT = "department"
    KIND = "kind"
    PUBLIC = "public"


class Room(TimestampMixin, Base):
    """An auditorium, a workshop or a studio the college broadcasts from."""

    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_key: Mapped[str] = mapped_column(String(120), index=True)
    building: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(300), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def label(self) -> str:
        return f"{self.name}, {self.building}" if self.building else self.name


class Event(TimestampMixin, Base):
    """One event of any kind; kind-specific details live in one-to-one child rows.

    `updated_at` is touched by every change to the event, its sessions, occurrences, people
    and audience: the calendar feeds use it as DTSTAMP and in their fingerprints.
    """

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("sequence >= 0", name="sequence"),
        CheckConstraint(
            "status != 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_at_when_cancelled"
        ),
        CheckConstraint(
            "status != 'confirmed' OR confirmed_at IS NOT NULL", name="confirmed_at_when_confirmed"
        ),
        CheckConstraint("rrule IS NULL OR kind IN ('webinar', 'meeting', 'other')", name="rrule"),
        Index("ix_event_status_kind", "status", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind), index=True)
    status: Mapped[EventStatus] = mapped_column(str_enum(EventStatus), default=EventStatus.PLANNED)
    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    responsible_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    location: Mapped[str] = mapped_column(String(300), default="")  # a site outside the rooms
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)  # in the public feed
    stream_url: Mapped[str] = mapped_column(String(500), default="")
    broadcast_status: Mapped[BroadcastStatus | None] = mapped_column(str_enum(BroadcastStatus))
    recording_kept_until: Mapped[date | None] = mapped_column(Date)
    is_camera_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    is_test_broadcast_done: Mapped[bool] = mapped_column(Boolean, default=False)
    is_link_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    # iCalendar SEQUENCE: bumped by every change to time, place or status.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Recurrence of the single session, in the organisation's local time (RFC 5545 RRULE
    # without DTSTART); exdates are local start times ("2026-03-09T10:00") left out of it.
    rrule: Mapped[str | None] = mapped_column(String(300))
    exdates: Mapped[list] = mapped_column(JSON, default=list)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    override_reason: Mapped[str] = mapped_column(String(500), default="")
    # The window of all occurrences, kept for range queries on events.
    first_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    responsible: Mapped[User] = relationship(foreign_keys=[responsible_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    room: Mapped[Room | None] = relationship()
    demo_exam: Mapped[DemoExam | None] = relationship(
        back_populates="event", cascade="all, delete-orphan", uselist=False
    )
    competition: Mapped[Competition | None] = relationship(
        back_populates="event", cascade="all, delete-orphan", uselist=False
    )
    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="EventSession.position",
    )
    occurrences: Mapped[list[EventOccurrence]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="EventOccurrence.starts_at",
    )
    people: Mapped[list[EventPerson]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventPerson.id"
    )
    groups: Mapped[list[StudyGroup]] = relationship(
        secondary="event_group", order_by="StudyGroup.name_key"
    )
    departments: Mapped[list[Department]] = relationship(
        secondary="event_department", order_by="Department.name_key"
    )
    audience_roles: Mapped[list[EventAudienceRole]] = relationship(
        cascade="all, delete-orphan", order_by="EventAudienceRole.role"
    )

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule)

    @property
    def is_cancelled(self) -> bool:
        return self.status is EventStatus.CANCELLED

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.audience_roles)


class DemoExam(Base):
    """Демонстрационный экзамен: its attestation, speciality, КОД, level and ЦПДЭ."""

    __tablename__ = "demo_exam"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    attestation: Mapped[Attestation] = mapped_column(str_enum(Attestation))
    speciality_id: Mapped[int | None] = mapped_column(ForeignKey("speciality.id"), index=True)
    kod: Mapped[str] = mapped_column(String(60), default="")  # комплект оценочной документации
    level: Mapped[ExamLevel] = mapped_column(str_enum(ExamLevel), default=ExamLevel.BASIC)
    site: Mapped[str] = mapped_column(String(300), default="")  # ЦПДЭ

    event: Mapped[Event] = relationship(back_populates="demo_exam")
    speciality: Mapped[Speciality | None] = relationship()


class Competition(Base):
    """A stage of «Профессионалы» or «Абилимпикс»: stage, competency, category, site."""

    __tablename__ = "competition"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[CompetitionStage] = mapped_column(str_enum(CompetitionStage))
    competency: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[CompetitionCategory] = mapped_column(str_enum(CompetitionCategory))
    site: Mapped[str] = mapped_column(String(300), default="")  # площадка

    event: Mapped[Event] = relationship(back_populates="competition")


class EventPerson(Base):
    """Someone taking part: a person of the college, or someone from outside by name."""

    __tablename__ = "event_person"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR name != ''", name="who"),
        UniqueConstraint("event_id", "role", "user_id"),
        Index("ix_event_person_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    role: Mapped[PersonRole] = mapped_column(str_enum(PersonRole))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(250), default="")  # outside people
    email: Mapped[str] = mapped_column(String(254), default="")  # lower case; outside people
    organisation: Mapped[str] = mapped_column(String(300), default="")

    event: Mapped[Event] = relationship(back_populates="people")
    user: Mapped[User | None] = relationship()

    @property
    def display_name(self) -> str:
        return self.user.full_name if self.user is not None else self.name

    @property
    def address(self) -> str:
        return (self.user.email if self.user is not None else self.email) or ""


class EventGroup(Base):
    __tablename__ = "event_group"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("study_group.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class EventDepartment(Base):
    __tablename__ = "event_department"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class EventAudienceRole(Base):
    """A role the event is for as a whole (e.g. every teacher for a webinar)."""

    __tablename__ = "event_audience_role"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role), primary_key=True, index=True)


class EventSession(Base):
    """A day or shift of an event (Д-1, Д1 …) with its own time and room; the single session
    of a recurring event is the first occurrence of its series."""

    __tablename__ = "event_session"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(160), unique=True)  # iCalendar UID, never changes
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(60), default="")
    is_preparation: Mapped[bool] = mapped_column(Boolean, default=False)  # Д-1
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    location: Mapped[str] = mapped_column(String(300), default="")

    event: Mapped[Event] = relationship(back_populates="sessions")
    room: Mapped[Room | None] = relationship()


class EventOccurrence(Base):
    """One stored occurrence: a session, or one instance of a recurring series. Conflicts,
    pages and reminders work on these rows."""

    __tablename__ = "event_occurrence"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="order"),
        UniqueConstraint("session_id", "recurrence_at"),
        Index("ix_event_occurrence_span", "starts_at", "ends_at"),
        Index("ix_event_occurrence_room_span", "room_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("event_session.id", ondelete="CASCADE"), index=True
    )
    # The instance's original start in a series (its RECURRENCE-ID); NULL for a plain session.
    recurrence_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    location: Mapped[str] = mapped_column(String(300), default="")
    is_moved: Mapped[bool] = mapped_column(Boolean, default=False)  # an instance moved alone
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)  # an instance cancelled
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship(back_populates="occurrences")
    session: Mapped[EventSession] = relationship()
    room: Mapped[Room | None] = relationship()


class EventsState(Base):
    """One row: a counter bumped by every change that any calendar may show (events, rooms,
    groups, enrolments, guardians, roles …). Feeds compare it before doing any other work;
    event writers lock it, which serialises conflict checks on PostgreSQL."""

    __tablename__ = "events_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last event deletion


class CalendarFeed(Base):
    """A subscription URL: its scope, and the version its signed token must carry."""

    __tablename__ = "calendar_feed"
    __table_args__ = (
        CheckConstraint("scope != 'group' OR group_id IS NOT NULL", name="group"),
        CheckConstraint("scope != 'department' OR department_id IS NOT NULL", name="department"),
        CheckConstraint("scope != 'kind' OR kind IS NOT NULL", name="kind"),
        CheckConstraint("alarm_minutes IS NULL OR alarm_minutes BETWEEN 0 AND 10080", name="alarm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    scope: Mapped[FeedScope] = mapped_column(str_enum(FeedScope))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("study_group.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE")
    )
    kind: Mapped[EventKind | None] = mapped_column(str_enum(EventKind))
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    alarm_minutes: Mapped[int | None] = mapped_column(Integer)  # VALARM before each start
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[User] = relationship()
    group: Mapped[StudyGroup | None] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
