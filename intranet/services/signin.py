"""Two-factor sign-in: TOTP (RFC 6238) secrets, one-time recovery codes, who must use them.

The secret is kept encrypted with a key derived from TOKEN_KEY (`seal`/`unseal`: a stream
cipher built from HMAC-SHA256 in counter mode with a random nonce, then an HMAC-SHA256 tag
over nonce and ciphertext, i.e. encrypt-then-MAC from the standard library alone). Recovery
codes are kept as HMAC-SHA256 of the code under another key derived from TOKEN_KEY, so a copy
of the database alone reveals neither. Changing TOKEN_KEY therefore turns two-factor sign-in
off in effect for everybody: `flask reset-2fa EMAIL` lets a person enrol again.

A code is accepted once: the TOTP step of the last accepted code is stored and only a later
step is accepted (a conditional UPDATE, so two requests racing with one code cannot both win).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update

from intranet.extensions import db
from intranet.models import RecoveryCode, TwoFactor, User
from intranet.models.base import utcnow
from intranet.services import audit, security, throttle
from intranet.services.errors import ValidationFailed

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
RECOVERY_LENGTH = 10
STEP_SECONDS = 30
DIGITS = 6
_VERSION = b"\x01"


class SecondFactorThrottled(ValidationFailed):
    pass


# --- keys and the sealed secret -------------------------------------------------------------


def _key(purpose: str) -> bytes:
    root = (current_app.config.get("TOKEN_KEY") or "").encode()
    if not root:
        raise RuntimeError("TOKEN_KEY is not set")
    return hmac.new(root, f"intranet two-factor {purpose}".encode(), hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
    return bytes(out[:length])


def seal(plaintext: str) -> str:
    """Encrypt and authenticate a short text with keys derived from TOKEN_KEY."""
    data = plaintext.encode()
    nonce = secrets.token_bytes(16)
    body = bytes(
        a ^ b for a, b in zip(data, _keystream(_key("enc"), nonce, len(data)), strict=True)
    )
    tag = hmac.new(_key("mac"), _VERSION + nonce + body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(_VERSION + nonce + body + tag).decode()


def unseal(token: str) -> str:
    """The text `seal` encrypted; ValueError when it was altered or sealed with another key."""
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (ValueError, TypeError) as error:
        raise ValueError("not a sealed value") from error
    if len(raw) < 1 + 16 + 32 or raw[:1] != _VERSION:
        raise ValueError("not a sealed value")
    nonce, body, tag = raw[1:17], raw[17:-32], raw[-32:]
    expected = hmac.new(_key("mac"), raw[:1] + nonce + body, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        raise ValueError("the sealed value does not match the key")
    stream = _keystream(_key("enc"), nonce, len(body))
    return bytes(a ^ b for a, b in zip(body, stream, strict=True)).decode()


# --- who must use it ------------------------------------------------------------------------


def required_roles() -> frozenset[str]:
    return frozenset(str(r) for r in current_app.config.get("REQUIRE_2FA_FOR") or ())


def is_required(user: User) -> bool:
    """Whether this person's roles oblige them to sign in with a second factor."""
    wanted = required_roles()
    return bool(wanted) and any(r.value in wanted for r in user.role_set)


def record(user: User) -> TwoFactor | None:
    return db.session.scalar(select(TwoFactor).where(TwoFactor.user_id == user.id))


def is_enabled(user: User) -> bool:
    found = record(user)
    return found is not None and found.enabled_at is not None


def remaining_codes(user: User) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


# --- setting up -----------------------------------------------------------------------------


def start(user: User) -> TwoFactor:
    """The secret being set up for this person: the one already shown, or a new one."""
    found = record(user)
    if found is not None and found.enabled_at is not None:
        raise ValidationFailed(_("Two-factor sign-in is already on."))
    if found is None:
        found = TwoFactor(user_id=user.id, secret=seal(pyotp.random_base32()), created_at=utcnow())
        db.session.add(found)
        db.session.flush()
    elif not readable(found):  # sealed under an earlier TOKEN_KEY: a new secret to scan
        found.secret = seal(pyotp.random_base32())
        found.created_at = utcnow()
    return found


def secret_of(found: TwoFactor) -> str:
    return unseal(found.secret)


def readable(found: TwoFactor) -> bool:
    """Whether the secret opens with the current TOKEN_KEY."""
    try:
        unseal(found.secret)
    except ValueError:
        return False
    return True


def account_label(user: User) -> str:
    return user.email or user.phone or f"id{user.id}"


def provisioning_uri(user: User, found: TwoFactor) -> str:
    issuer = current_app.config.get("TWO_FACTOR_ISSUER") or "Intranet"
    return pyotp.TOTP(secret_of(found)).provisioning_uri(
        name=account_label(user), issuer_name=issuer
    )


def qr_svg(uri: str, title: str) -> str:
    """The otpauth:// address as an inline SVG QR code (no image request, no data: URL)."""
    return segno.make(uri, error="m").svg_inline(scale=4, border=2, title=title)


def grouped_secret(found: TwoFactor) -> str:
    """The key for typing by hand, in groups of four."""
    text = secret_of(found)
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def confirm(user: User, code: str, *, ip: str) -> list[str]:
    """Turn two-factor sign-in on once a code from the app matches; the new recovery codes."""
    found = record(user)
    if found is None or found.enabled_at is not None:
        raise ValidationFailed(_("Start setting up two-factor sign-in again."))
    _check_not_blocked(user, ip)
    if not _accept_totp(found, code):
        _count_failure(user, ip)
        raise ValidationFailed(
            _("The code does not match. Check the time on your phone and enter a fresh code."),
            "code",
        )
    found.enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record("account.2fa_enabled", actor=user, obj=user, summary=user.full_name)
    return codes


def regenerate_codes(user: User, *, password: str) -> list[str]:
    """Replace every recovery code (the old ones stop working)."""
    if not is_enabled(user):
        raise ValidationFailed(_("Two-factor sign-in is off."))
    if not security.verify_password(user.password_hash, password):
        raise ValidationFailed(_("The password is wrong."), "password")
    codes = _new_recovery_codes(user)
    audit.record("account.2fa_codes_renewed", actor=user, obj=user, summary=user.full_name)
    return codes


def disable(user: User, *, password: str, code: str, ip: str) -> None:
    """Turn two-factor sign-in off: the password and a code (app or recovery) are needed."""
    if not is_enabled(user):
        raise ValidationFailed(_("Two-factor sign-in is off."))
    if is_required(user):
        raise ValidationFailed(
            _("Two-factor sign-in is required for your role and cannot be turned off.")
        )
    if not security.verify_password(user.password_hash, password):
        raise ValidationFailed(_("The password is wrong."), "password")
    verify(user, code, ip=ip)
    _remove(user)
    audit.record("account.2fa_disabled", actor=user, obj=user, summary=user.full_name)


def reset(user: User, *, actor: User | None) -> None:
    """An administrator's (or the command line's) reset: the person sets it up again."""
    _remove(user)
    audit.record("account.2fa_reset", actor=actor, obj=user, summary=user.full_name)


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))


# --- checking codes -------------------------------------------------------------------------


def verify(user: User, code: str, *, ip: str) -> str:
    """Check a code from the app or a recovery code; "totp" or "recovery", or an error.

    Failures are counted per account and per address in the throttle storage, so they add
    up across worker processes; when the limit is used up every code is refused for a while.
    """
    _check_not_blocked(user, ip)
    found = record(user)
    if found is not None and found.enabled_at is not None:
        cleaned = _digits(code)
        if cleaned is not None and _accept_totp(found, cleaned):
            return "totp"
        if cleaned is None and _use_recovery_code(user, code):
            return "recovery"
    _count_failure(user, ip)
    raise ValidationFailed(_("Wrong code, or a code that has already been used."), "code")


def _check_not_blocked(user: User, ip: str) -> None:
    if throttle.is_blocked(
        "TWO_FACTOR_FAILURES_PER_ACCOUNT", "2fa-account", str(user.id)
    ) or throttle.is_blocked("LOGIN_FAILURES_PER_ADDRESS", "login-ip", ip):
        raise SecondFactorThrottled(
            _("Too many wrong codes. Sign in again in a few minutes."), "code"
        )


def _count_failure(user: User, ip: str) -> None:
    throttle.count_failure("TWO_FACTOR_FAILURES_PER_ACCOUNT", "2fa-account", str(user.id))
    throttle.count_failure("LOGIN_FAILURES_PER_ADDRESS", "login-ip", ip)


def _digits(code: str) -> str | None:
    text = "".join((code or "").split())
    return text if len(text) == DIGITS and text.isascii() and text.isdigit() else None


def current_step(now: datetime | None = None) -> int:
    return int((now or utcnow()).timestamp()) // STEP_SECONDS


def _accept_totp(found: TwoFactor, code: str) -> bool:
    """A code of this step or a neighbouring one (clock drift), later than the last accepted."""
    cleaned = _digits(code)
    if cleaned is None:
        return False
    try:
        secret = secret_of(found)
    except ValueError:
        current_app.logger.warning(
            "two-factor secret of user %s does not open with TOKEN_KEY (was it changed?)",
            found.user_id,
        )
        return False
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = current_step()
    matched = [
        step
        for step in (now - 1, now, now + 1)
        if hmac.compare_digest(totp.generate_otp(step), cleaned)
    ]
    if not matched:
        return False
    step = matched[-1]
    table = TwoFactor.__table__.c
    result = db.session.execute(
        update(TwoFactor)
        .where(TwoFactor.id == found.id, or_(table.last_step.is_(None), table.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(found, ["last_step"])
    return result.rowcount == 1


def _normal_code(code: str) -> str:
    return "".join(ch for ch in (code or "").casefold() if ch.isalnum())


def _code_hash(user_id: int, code: str) -> str:
    return hmac.new(
        _key("recovery"), f"{user_id}:{_normal_code(code)}".encode(), hashlib.sha256
    ).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    now = utcnow()
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(
            RecoveryCode(user_id=user.id, code_hash=_code_hash(user.id, raw), created_at=now)
        )
    db.session.flush()
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    normal = _normal_code(code)
    if len(normal) != RECOVERY_LENGTH:
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(user.id, normal),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
