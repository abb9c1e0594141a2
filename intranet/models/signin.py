"""Two-factor sign-in: a person's TOTP secret (encrypted) and their one-time recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from intranet.models.base import Base, UTCDateTime


class TwoFactor(Base):
    """A person's authenticator app. `secret` is encrypted with TOKEN_KEY (services.signin);
    until `enabled_at` is set the secret is only being set up and sign-in does not ask for it.
    `last_step` is the 30-second TOTP step of the last code accepted: a code is good once."""

    __tablename__ = "two_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), unique=True, index=True
    )
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """One of the ten codes that stand in for the app once each. Only a keyed hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
