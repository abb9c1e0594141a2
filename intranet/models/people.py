"""People: users, their roles from the regulation, and parent–student links."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, TimestampMixin, UTCDateTime, fold, relationship
from intranet.models.types import str_enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    HEAD = "head"
    DEPUTY = "deputy"
    TUTOR = "tutor"
    TEACHER = "teacher"
    STUDENT = "student"
    PARENT = "parent"


STAFF_ROLES = frozenset({Role.ADMIN, Role.HEAD, Role.DEPUTY, Role.TUTOR, Role.TEACHER})
TEACHING_ROLES = frozenset({Role.TUTOR, Role.TEACHER})


class TeacherStatus(enum.StrEnum):
    NOT_CONFIRMED = "not_confirmed"
    PENDING = "pending"
    CONFIRMED = "confirmed"


class User(TimestampMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)  # +7XXXXXXXXXX
    last_name: Mapped[str] = mapped_column(String(80))
    first_name: Mapped[str] = mapped_column(String(80))
    middle_name: Mapped[str] = mapped_column(String(80), default="")
    name_key: Mapped[str] = mapped_column(String(250), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    teacher_status: Mapped[TeacherStatus | None] = mapped_column(str_enum(TeacherStatus))
    teacher_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the person's personal data was replaced by placeholders (152-ФЗ): the row
    # stays for statistics and the audit trail, nothing identifies the person any more.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="UserRole.user_id",
    )

    # Flask-Login protocol. The id carries the session epoch, so bumping the epoch
    # (logout everywhere, password change, disabling) ends every session at once.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_epoch}"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self) -> str:
        initials = "".join(f"{p[0]}." for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name} {initials}".strip()

    @property
    def role_set(self) -> frozenset[Role]:
        # Asked many times a page (every permission check); kept until the roles list
        # changes (see _forget_role_set) or is loaded again (a new list object).
        roles = self.roles
        cached = self.__dict__.get("_role_set")
        if cached is not None and cached[0] is roles:
            return cached[1]
        value = frozenset(r.role for r in roles)
        self.__dict__["_role_set"] = (roles, value)
        return value

    def has_role(self, *roles: Role) -> bool:
        return not self.role_set.isdisjoint(roles)

    @property
    def is_teaching_staff(self) -> bool:
        return self.has_role(*TEACHING_ROLES)

    @property
    def is_main_admin(self) -> bool:
        return any(r.role is Role.ADMIN and r.is_main for r in self.roles)

    def refresh_name_key(self) -> None:
        self.name_key = fold(self.full_name)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.full_name}>"


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), index=True)
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)  # the main admin
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])


class Guardian(Base):
    """A parent (законный представитель) of a student."""

    __tablename__ = "guardian"
    __table_args__ = (UniqueConstraint("parent_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(40), default="")
    is_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    parent: Mapped[User] = relationship(foreign_keys=[parent_id])
    student: Mapped[User] = relationship(foreign_keys=[student_id])


class LoginSession(Base):
    """A signed-in browser. The cookie holds a random id; only its hash is stored here,
    so logging out ends this session even if someone kept a copy of the cookie."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(200), default="")


@event.listens_for(User.roles, "append")
@event.listens_for(User.roles, "remove")
def _forget_role_set(user: User, _value, _initiator) -> None:
    user.__dict__.pop("_role_set", None)
