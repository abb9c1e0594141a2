"""Races on a database with real commits: two approvals for the last stage publish once; the
worker (a real `flask worker` process) publishes a scheduled item at its time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from intranet import create_app
from intranet.extensions import db
from intranet.models import (
    Announcement,
    AnnouncementMailing,
    AnnouncementStatus,
    AuditEvent,
    ReviewDecision,
    User,
)
from intranet.models.base import utcnow
from intranet.services.channels import manage, review
from intranet.services.errors import DomainError
from tests import factories
from tests.channels import helpers
from tests.conftest import PG_URL, make_test_config
from tests.mail.conftest import MailDB, start_worker  # noqa: F401  (the worker fixture)

RACE_DB = "intranet_channels_race"


@pytest.fixture
def committed(engine_kind, tmp_path) -> Iterator[MailDB]:
    """An app on a database of its own where the test commits for real."""
    if engine_kind == "pg":
        import psycopg

        base, _, _name = PG_URL.rpartition("/")
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (RACE_DB,)
            ).fetchone():
                conn.execute(f"CREATE DATABASE {RACE_DB}")
        url = f"{base}/{RACE_DB}"
    else:
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    app = create_app(make_test_config(url, tmp_path))
    with app.app_context():
        if engine_kind == "pg":
            db.drop_all()
        db.create_all()
    yield MailDB(app, url, tmp_path)
    with app.app_context():
        db.session.remove()
        if engine_kind == "pg":
            db.drop_all()
        db.engine.dispose()


def _college(store: MailDB) -> SimpleNamespace:
    with store.context():
        admin = factories.user("admin")
        deputy = factories.user("deputy")
        head = factories.user("head")
        second_head = factories.user("head")
        teacher = factories.user("teacher")
        channel = helpers.channel(admin, "Официальный канал колледжа")
        ids = SimpleNamespace(
            admin=admin.id,
            deputy=deputy.id,
            head=head.id,
            second_head=second_head.id,
            teacher=teacher.id,
            channel=channel.id,
        )
        db.session.commit()
    return ids


@pytest.mark.pg
def test_two_approvals_racing_for_the_last_stage_publish_once(committed):
    people = _college(committed)
    with committed.context():
        a = helpers.draft(
            db.session.get(User, people.teacher),
            db.session.get(manage.Channel, people.channel),
            submit=True,
        )
        review.approve(a, actor=db.session.get(User, people.deputy), revision_no=1)
        db.session.commit()
        announcement_id = a.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user_id: int) -> None:
        with committed.context():
            try:
                item = db.session.get(Announcement, announcement_id)
                actor = db.session.get(User, user_id)
                db.session.commit()  # end the reading transaction: both start level
                barrier.wait(timeout=10)
                review.approve(item, actor=actor, revision_no=1)
                db.session.commit()
                outcomes.append("published")
            except DomainError as error:
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=approve, args=(uid,)) for uid in (people.head, people.second_head)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes)[-1] == "published" and outcomes.count("published") == 1, outcomes
    with committed.context():
        item = db.session.get(Announcement, announcement_id)
        assert item.status is AnnouncementStatus.PUBLISHED
        assert (
            db.session.scalar(
                select(func.count(ReviewDecision.id)).where(ReviewDecision.stage == 2)
            )
            == 1
        )
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == "announcement.published",
                    AuditEvent.object_id == announcement_id,
                )
            )
            == 1
        )
        assert (
            db.session.scalar(
                select(func.count(AnnouncementMailing.id)).where(
                    AnnouncementMailing.announcement_id == announcement_id
                )
            )
            == 1
        )
        db.session.rollback()


@pytest.mark.slow
def test_the_real_worker_publishes_at_the_set_time(committed, start_worker):  # noqa: F811
    people = _college(committed)
    with committed.context():
        a = helpers.draft(
            db.session.get(User, people.teacher),
            db.session.get(manage.Channel, people.channel),
            submit=True,
            go_live_in=timedelta(seconds=2),
        )
        review.approve(a, actor=db.session.get(User, people.deputy), revision_no=1)
        review.approve(a, actor=db.session.get(User, people.head), revision_no=1)
        db.session.commit()
        assert a.status is AnnouncementStatus.SCHEDULED
        announcement_id, due = a.id, a.go_live_at
    while utcnow() < due + timedelta(seconds=0.2):
        time.sleep(0.1)
    out = start_worker(committed, "--once").wait()
    with committed.context():
        item = db.session.get(Announcement, announcement_id)
        assert item.status is AnnouncementStatus.PUBLISHED, out
        assert item.published_at >= due and item.overdue_flagged_at is None
        db.session.rollback()
