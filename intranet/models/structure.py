"""The college's structure: organisation, departments, specialities, groups and assignments."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, TimestampMixin, relationship
from intranet.models.people import User
from intranet.models.types import str_enum


class Platform(enum.StrEnum):
    VK = "vk"
    MAX = "max"


class StudyForm(enum.StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"  # очно-заочная
    EXTRAMURAL = "extramural"  # заочная


class Organisation(TimestampMixin, Base):
    """The college itself: a single row."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    phone: Mapped[str | None] = mapped_column(String(16))
    admin_contact: Mapped[str] = mapped_column(String(300), default="")
    platform: Mapped[Platform] = mapped_column(str_enum(Platform), default=Platform.VK)


class Department(TimestampMixin, Base):
    """Отделение."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_key: Mapped[str] = mapped_column(String(200), index=True)


class Speciality(TimestampMixin, Base):
    """Специальность or профессия: the code from the federal list and its name."""

    __tablename__ = "speciality"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # 09.02.07
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(320), index=True)


class StudyGroup(TimestampMixin, Base):
    """Учебная группа, e.g. ИСП-22-1; the course is derived from the admission year."""

    __tablename__ = "study_group"
    __table_args__ = (CheckConstraint("admission_year BETWEEN 1990 AND 2100", name="year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    name_key: Mapped[str] = mapped_column(String(40), index=True)
    speciality_id: Mapped[int] = mapped_column(ForeignKey("speciality.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    admission_year: Mapped[int] = mapped_column(Integer)
    study_form: Mapped[StudyForm] = mapped_column(str_enum(StudyForm), default=StudyForm.FULL_TIME)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)

    speciality: Mapped[Speciality] = relationship()
    department: Mapped[Department] = relationship()

    def course(self, today: date) -> int:
        """Курс: the academic year starts on 1 September."""
        start_year = today.year if today.month >= 9 else today.year - 1
        return start_year - self.admission_year + 1


class Enrollment(Base):
    """A student in a group from a date to a date: the history of movement."""

    __tablename__ = "enrollment"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")

    student: Mapped[User] = relationship()
    group: Mapped[StudyGroup] = relationship()


class TutorAssignment(Base):
    """A tutor (куратор) of a group, with the basis: the head's order."""

    __tablename__ = "tutor_assignment"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)
    tutor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    basis_number: Mapped[str] = mapped_column(String(40), default="")
    basis_date: Mapped[date | None] = mapped_column(Date)
    # The order in the documents register (the head's approved distribution), when recorded.
    basis_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL")
    )

    group: Mapped[StudyGroup] = relationship()
    tutor: Mapped[User] = relationship()


class Discipline(TimestampMixin, Base):
    """Дисциплина or МДК: ОП.01, МДК.01.01 …"""

    __tablename__ = "discipline"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(320), index=True)


class TeachingAssignment(Base):
    """A teacher teaches a discipline to a group."""

    __tablename__ = "teaching_assignment"
    __table_args__ = (UniqueConstraint("teacher_id", "group_id", "discipline_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id"), index=True)
    discipline_id: Mapped[int] = mapped_column(ForeignKey("discipline.id"), index=True)

    teacher: Mapped[User] = relationship()
    group: Mapped[StudyGroup] = relationship()
    discipline: Mapped[Discipline] = relationship()
