"""Passwords (argon2id), the common-password list, and signed tokens for links."""

from __future__ import annotations

import contextlib
import functools
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from intranet.services.errors import ValidationFailed

MIN_PASSWORD = 8
MAX_PASSWORD = 128


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    return _hasher_for(*key)


@functools.lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@functools.lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _hasher_for(time_cost, memory_cost, parallelism).hash("dummy password, never valid")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists: a missing hash checks a dummy."""
    hasher = _hasher()
    if not password_hash:
        cfg = current_app.config
        dummy = _dummy_hash(
            cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"]
        )
        with contextlib.suppress(VerificationError):
            hasher.verify(dummy, password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@functools.cache
def common_passwords() -> frozenset[str]:
    text = resources.files("intranet.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def check_new_password(password: str, *, personal: tuple[str, ...] = ()) -> None:
    """NIST-style rules: length only, no composition rules, common passwords refused."""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            _("The password must be at least %(n)d characters long.", n=MIN_PASSWORD), "password"
        )
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(
            _("The password must be at most %(n)d characters long.", n=MAX_PASSWORD), "password"
        )
    folded = password.casefold()
    if folded in common_passwords() or len(set(password)) < 3:
        raise ValidationFailed(
            _("This password is too common and easy to guess. Choose another."), "password"
        )
    for item in personal:
        if item and len(item) >= 4 and item.casefold() == folded:
            raise ValidationFailed(
                _("The password must not repeat your e-mail or phone."), "password"
            )


# --- signed tokens --------------------------------------------------------------------------
# A token is an HMAC over (object id, token version) with a key of its own, so rotating
# SECRET_KEY does not kill every link, and bumping the version revokes one link.


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["TOKEN_KEY"], salt=f"intranet.{purpose}")


def make_token(purpose: str, object_id: int, version: int = 0) -> str:
    return _serializer(purpose).dumps([object_id, version])


def read_token(purpose: str, token: str, *, max_age: int | None = None) -> tuple[int, int] | None:
    """(object id, version) from a valid token, or None; the caller checks the version."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if (
        not isinstance(data, list)
        or len(data) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in data)
    ):
        return None
    return data[0], data[1]
