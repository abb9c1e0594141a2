"""A controlled clock for sign-in tests: the services' utcnow() replaced by one that moves
only when the test says so (TOTP steps, idle and absolute session timeouts, pending sign-ins)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PATCHED = (
    "intranet.services.accounts.utcnow",
    "intranet.services.signin.utcnow",
    "intranet.blueprints.auth.twofactor.utcnow",
)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    @classmethod
    def install(cls, monkeypatch) -> Clock:
        # Start on a TOTP step boundary, so "30 seconds later" is always the next code.
        now = datetime.now(UTC).replace(microsecond=0)
        clock = cls(now - timedelta(seconds=now.second % 30))
        for target in PATCHED:
            monkeypatch.setattr(target, clock)
        return clock
