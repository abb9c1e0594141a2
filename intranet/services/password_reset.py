"""Password reset by e-mail: a signed, single-use link that expires in an hour.

The token is an HMAC over (user id, version); the version is derived from the password hash
and the session epoch, so setting a password (or ending every session) spends the link.
"""

from __future__ import annotations

import hashlib

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from intranet.extensions import db
from intranet.models import User
from intranet.services import accounts, audit, security, throttle
from intranet.services.errors import ValidationFailed
from intranet.services.mail import external_url, queue_mail

PURPOSE = "password-reset"
MAX_AGE = 3600  # seconds


def token_version(user: User) -> int:
    """Changes whenever the password is set or every session is ended."""
    basis = f"{user.id}|{user.password_hash or ''}|{user.session_epoch}".encode()
    return int.from_bytes(hashlib.sha256(basis).digest()[:4], "big") & 0x7FFFFFFF


def make_reset_token(user: User) -> str:
    return security.make_token(PURPOSE, user.id, token_version(user))


def request_reset(identifier: str, *, ip: str) -> None:
    """Mail a reset link to the account with this e-mail or phone, if there is one.

    The caller answers the same whatever happens here, so nobody learns whether an address
    has an account; requests are throttled per account and per address.
    """
    identifier = (identifier or "").strip()[:254]
    if throttle.is_blocked("RESET_LINKS_PER_ADDRESS", "reset-ip", ip) or throttle.is_blocked(
        "RESET_LINKS_PER_ACCOUNT", "reset-account", identifier.casefold()
    ):
        return
    throttle.count_failure("RESET_LINKS_PER_ADDRESS", "reset-ip", ip)
    throttle.count_failure("RESET_LINKS_PER_ACCOUNT", "reset-account", identifier.casefold())
    user = accounts.find_by_login(identifier)
    if user is None or not user.is_active or not user.email:
        return
    link = external_url("auth.reset_password", token=make_reset_token(user))
    queue_mail(
        "account.password_reset",
        user,
        _l("Password reset"),
        "password_reset",
        {"user": user, "link": link, "hours": MAX_AGE // 3600},
    )
    audit.record("account.password_reset_requested", actor=None, obj=user)


def user_for_token(token: str) -> User | None:
    """The person a valid, unused, unexpired link belongs to; None for any other link."""
    found = security.read_token(PURPOSE, token or "", max_age=MAX_AGE)
    if found is None:
        return None
    user_id, version = found
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or token_version(user) != version:
        return None
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set the new password from a reset link; every session of the person ends."""
    user = user_for_token(token)
    if user is None:
        raise ValidationFailed(_("This link is no longer valid. Request a new one."), "token")
    accounts.set_password(user, new_password, actor=user)
    return user
