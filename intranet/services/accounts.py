"""Accounts: signing in, sessions, passwords, profiles and the roles people hold."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload

from intranet import database
from intranet.extensions import db
from intranet.models import LoginSession, Role, TeacherStatus, User, UserRole
from intranet.models.base import utcnow
from intranet.models.people import TEACHING_ROLES
from intranet.services import audit, security, throttle
from intranet.services.errors import PermissionDenied, ValidationFailed
from intranet.services.phones import looks_like_phone, normalize_phone

log = logging.getLogger(__name__)


class LoginThrottled(ValidationFailed):
    pass


def find_by_login(identifier: str) -> User | None:
    """An e-mail address or a phone number, as people type them."""
    condition = _login_condition(identifier)
    if condition is None:
        return None
    return db.session.scalar(select(User).where(condition))


def _login_condition(identifier: str):
    text = (identifier or "").strip()
    if not text:
        return None
    if looks_like_phone(text):
        phone = normalize_phone(text)
        return None if phone is None else User.phone == phone
    return User.email == text.casefold()


def _credentials(identifier: str):
    """(id, password hash, active) of the account with this login, or None: one plain row,
    so a wrong password for a known account costs what an unknown login does (no user
    object and roles loaded before the password is checked)."""
    condition = _login_condition(identifier)
    if condition is None:
        return None
    return db.session.execute(
        select(User.id, User.password_hash, User.is_active).where(condition)
    ).first()


def authenticate(identifier: str, password: str, *, ip: str) -> User:
    """The user for these credentials, or ValidationFailed with one answer for every failure."""
    identifier = (identifier or "").strip()[:254]
    failure = _("Wrong e-mail, phone or password.")
    if throttle.is_blocked("LOGIN_FAILURES_PER_ADDRESS", "login-ip", ip) or throttle.is_blocked(
        "LOGIN_FAILURES_PER_ACCOUNT", "login-account", identifier
    ):
        raise LoginThrottled(_("Too many failed attempts. Wait a few minutes and try again."))
    found = _credentials(identifier)
    ok = security.verify_password(found.password_hash if found else None, password)
    if not ok or found is None or not found.is_active:
        throttle.count_failure("LOGIN_FAILURES_PER_ADDRESS", "login-ip", ip)
        throttle.count_failure("LOGIN_FAILURES_PER_ACCOUNT", "login-account", identifier)
        raise ValidationFailed(failure)
    user = db.session.get(User, found.id)
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    return user


def end_all_sessions(user: User, *, actor: User) -> None:
    """Every signed-in browser of this user is signed out on its next request."""
    _end_every_session(user)
    audit.record("account.sessions_ended", actor=actor, obj=user, summary=user.full_name)


def change_password(user: User, *, current: str, new: str) -> None:
    if not security.verify_password(user.password_hash, current):
        raise ValidationFailed(_("The current password is wrong."), "current_password")
    set_password(user, new, actor=user)


def set_password(user: User, new: str, *, actor: User | None) -> None:
    """Set a new password and end every other session."""
    security.check_new_password(new, personal=(user.email or "", user.phone or ""))
    user.password_hash = security.hash_password(new)
    _end_every_session(user)
    audit.record("account.password_set", actor=actor, obj=user)


def update_profile(
    user: User,
    *,
    last_name: str,
    first_name: str,
    middle_name: str,
    email: str | None,
    phone: str | None,
    locale: str,
) -> None:
    email = (email or "").strip().casefold() or None
    phone_norm = normalize_phone(phone) if phone else None
    if phone and phone_norm is None:
        raise ValidationFailed(_("Enter a Russian phone number, e.g. +7 912 345-67-89."), "phone")
    _check_unique(user, email=email, phone=phone_norm)
    user.last_name, user.first_name, user.middle_name = (
        last_name.strip(),
        first_name.strip(),
        middle_name.strip(),
    )
    user.email, user.phone = email, phone_norm
    user.locale = locale if locale in ("ru", "en") else "ru"
    user.refresh_name_key()


def _check_unique(user: User | None, *, email: str | None, phone: str | None) -> None:
    own_id = user.id if user is not None else None
    if email:
        other = db.session.scalar(select(User.id).where(User.email == email))
        if other is not None and other != own_id:
            raise ValidationFailed(_("Another account already uses this e-mail."), "email")
    if phone:
        other = db.session.scalar(select(User.id).where(User.phone == phone))
        if other is not None and other != own_id:
            raise ValidationFailed(_("Another account already uses this phone number."), "phone")


def create_person(
    *,
    actor: User | None,
    last_name: str,
    first_name: str,
    middle_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    roles: Iterable[Role] = (),
    external_id: str | None = None,
    password: str | None = None,
    password_hash: str | None = None,
) -> User:
    """A person created by an admin (or a command). Teaching staff start unconfirmed."""
    email = (email or "").strip().casefold() or None
    phone_norm = normalize_phone(phone) if phone else None
    if phone and phone_norm is None:
        raise ValidationFailed(_("Enter a Russian phone number, e.g. +7 912 345-67-89."), "phone")
    _check_unique(None, email=email, phone=phone_norm)
    user = User(
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        middle_name=(middle_name or "").strip(),
        email=email,
        phone=phone_norm,
        external_id=(external_id or "").strip() or None,
        locale="ru",
        is_active=True,
        session_epoch=0,
    )
    user.refresh_name_key()
    if password is not None:
        security.check_new_password(password, personal=(email or "", phone_norm or ""))
        user.password_hash = security.hash_password(password)
    elif password_hash is not None:
        user.password_hash = password_hash
    db.session.add(user)
    set_roles(user, roles, actor=actor, record=False)
    db.session.flush()
    audit.record(
        "person.created",
        actor=actor,
        obj=user,
        summary=user.full_name,
        roles=sorted(r.value for r in user.role_set),
    )
    return user


def set_roles(
    user: User, roles: Iterable[Role], *, actor: User | None, record: bool = True
) -> None:
    """Replace a person's roles. Granting head, deputy or admin directly confirms status."""
    wanted = set(roles)
    current = {r.role: r for r in user.roles}
    if Role.ADMIN in current and Role.ADMIN not in wanted:
        ensure_not_last_admin(user)
    for role, link in current.items():
        if role not in wanted:
            user.roles.remove(link)
    for role in wanted - set(current):
        user.roles.append(
            UserRole(role=role, granted_at=utcnow(), granted_by_id=actor.id if actor else None)
        )
    if wanted & {Role.ADMIN, Role.HEAD, Role.DEPUTY}:
        _confirm(user)
    elif wanted & TEACHING_ROLES and user.teacher_status is None:
        user.teacher_status = TeacherStatus.NOT_CONFIRMED
    if record:
        audit.record(
            "person.roles_set",
            actor=actor,
            obj=user,
            summary=user.full_name,
            roles=sorted(r.value for r in wanted),
        )


def _confirm(user: User) -> None:
    if user.teacher_status is not TeacherStatus.CONFIRMED:
        user.teacher_status = TeacherStatus.CONFIRMED
        user.teacher_confirmed_at = utcnow()


def confirm_teacher(user: User, *, actor: User) -> None:
    """The admin completes teacher-status confirmation (regulation §2.1)."""
    if not user.is_teaching_staff:
        raise ValidationFailed(_("Only teaching staff have a teacher status."))
    _confirm(user)
    audit.record("person.teacher_confirmed", actor=actor, obj=user, summary=user.full_name)


def ensure_not_last_admin(user: User) -> None:
    others = db.session.scalar(
        select(UserRole.id)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role == Role.ADMIN, UserRole.user_id != user.id, User.is_active.is_(True))
        .limit(1)
    )
    if others is None:
        raise PermissionDenied(_("The last platform administrator cannot be removed."))


def set_active(user: User, active: bool, *, actor: User) -> None:
    """Disable or re-enable an account; disabling ends every session."""
    if not active:
        if user.id == actor.id:
            raise ValidationFailed(_("You cannot disable your own account."))
        if user.has_role(Role.ADMIN):
            ensure_not_last_admin(user)
        _end_every_session(user)
    user.is_active = active
    audit.record(
        "person.enabled" if active else "person.disabled",
        actor=actor,
        obj=user,
        summary=user.full_name,
    )


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def open_login_session(user: User, *, ip: str | None, user_agent: str = "") -> str:
    """Record a new signed-in browser; returns the random id the cookie carries."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            token_hash=_hash_token(raw),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip=ip,
            user_agent=(user_agent or "")[:200],
        )
    )
    return raw


def close_login_session(raw: str | None) -> None:
    if not raw:
        return
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == _hash_token(raw), LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def end_every_session(user: User) -> None:
    """End every session of this user at once (the caller records why)."""
    _end_every_session(user)


def _end_every_session(user: User) -> None:
    user.session_epoch += 1
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def load_session_user(
    user_id: str,
    raw_session: str | None,
    *,
    lifetime: int,
    idle: int | None = None,
    touch_every: int = 60,
) -> User | None:
    """The signed-in user, or None when the session was ended, expired (`lifetime` seconds
    after signing in, or `idle` seconds after its last use) or the account disabled.
    `user_id` is "id.epoch": bumping the epoch ends every session at once.

    The last use is written at most every `touch_every` seconds, so most requests only read."""
    try:
        raw_id, raw_epoch = user_id.split(".", 1)
        uid, epoch = int(raw_id), int(raw_epoch)
    except (ValueError, AttributeError):
        return None
    if not raw_session:
        return None
    now = utcnow()
    conditions = [
        User.id == uid,
        User.session_epoch == epoch,
        User.is_active.is_(True),
        LoginSession.token_hash == _hash_token(raw_session),
        LoginSession.ended_at.is_(None),
        LoginSession.created_at >= now - timedelta(seconds=lifetime),
    ]
    if idle:
        conditions.append(LoginSession.last_seen_at >= now - timedelta(seconds=idle))
    # The roles come in the same statement: every page asks for them.
    row = (
        db.session.execute(
            select(User, LoginSession.id, LoginSession.last_seen_at)
            .join(LoginSession, LoginSession.user_id == User.id)
            .options(joinedload(User.roles))
            .where(*conditions)
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    user, session_id, last_seen = row
    if last_seen < now - timedelta(seconds=touch_every):
        _touch(session_id, now)
    return user


def _touch(session_id: int, now: datetime) -> None:
    """Record a session's use. An unsafe request writes in its own transaction (committed
    with the request's work); a GET reads only, so it writes in a short transaction of its
    own that gives up at once if another writer holds the database: the next request tries
    again, and the idle timeout is far longer than the interval."""
    statement = (
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.last_seen_at < now)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    if database.is_writer():
        db.session.execute(statement)
        return
    try:
        with database.short_write() as conn:
            conn.execute(statement)
    except DBAPIError as error:
        log.info("session %s: last use not recorded (%s)", session_id, type(error.orig).__name__)
