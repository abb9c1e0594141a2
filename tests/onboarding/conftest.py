"""Onboarding fixtures: the people of a small college and the outbox's contents."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import OutboxMessage


@pytest.fixture(autouse=True)
def _app(app):
    """Every test here works with the app and a rolled-back transaction."""
    return app


@pytest.fixture
def group(make):
    return make.group("ИСП-24-1")


@pytest.fixture
def other_group(make):
    return make.group("ИСП-24-2")


@pytest.fixture
def sent():
    """The messages queued so far, parsed: (to, subject, text)."""

    def read(kind: str | None = None) -> list[tuple[str, str, str]]:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        result = []
        for row in db.session.scalars(query):
            msg = BytesParser(policy=policy.default).parsebytes(row.raw)
            body = msg.get_body(preferencelist=("plain",))
            result.append((str(msg["To"]), str(msg["Subject"]), body.get_content()))
        return result

    return read
