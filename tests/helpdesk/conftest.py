"""Help-desk fixtures: people, a clock in the college's zone, and the outbox's contents."""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from intranet.extensions import db

MSK = ZoneInfo("Europe/Moscow")


def msk(*args: int) -> datetime:
    """A moment given in the college's local time (Moscow)."""
    return datetime(*args, tzinfo=MSK)


@pytest.fixture
def admin(make):
    return make.user(
        "admin", last_name="Админова", email="admin@college.test", phone="+79001112233"
    )


@pytest.fixture
def student(make):
    return make.user("student", last_name="Студентова", email="student@college.test")


@pytest.fixture
def outbox():
    """The messages queued so far, parsed: outbox(kind=None) -> list[EmailMessage]."""
    from intranet.models import OutboxMessage

    def _read(kind: str | None = None):
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return [
            BytesParser(policy=policy.default).parsebytes(row.raw)
            for row in db.session.scalars(query)
        ]

    return _read
