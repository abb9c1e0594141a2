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


# --- a real SMTP server and an app on a database of its own (for the worker) ---------------


class Inbox:
    """What an aiosmtpd server on loopback accepted."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes

        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed, envelope.content))
        return "250 2.0.0 Accepted"

    def to(self, address: str) -> list:
        return [m for rcpt, m, _raw in self.messages if address in rcpt]


@pytest.fixture
def smtp_inbox():
    """A real SMTP server on a free loopback port; yields (port, Inbox)."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture
def own_app(tmp_path, _catalog):
    """An app on a SQLite file of its own: what the test commits, the worker sees."""
    from intranet import create_app
    from tests.conftest import CSRFClient, make_test_config

    def build(**config):
        settings = make_test_config(f"sqlite:///{tmp_path / 'hd.sqlite3'}", tmp_path)
        settings.update(config)
        application = create_app(settings)
        application.test_client_class = CSRFClient
        with application.app_context():
            db.create_all()
        built.append(application)
        return application

    built: list = []
    yield build
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def signed_in_client(application, user):
    """A test client of `application` signed in as `user` (no password needed)."""
    from tests import factories

    sid = factories.login_session(user)
    client = application.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["sid"] = sid
    return client
