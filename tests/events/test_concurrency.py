"""Two people saving clashing events at the same moment: exactly one wins. And a feed's last
use is recorded at most hourly, outside the GET's own transaction.

These tests commit for real, so they run against an app and a database of their own (a fresh
SQLite file, or a PostgreSQL schema of its own), not in the rolled-back test transaction.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from datetime import time, timedelta

import pytest
from sqlalchemy import text

from intranet import create_app
from intranet.extensions import db
from intranet.models import CalendarFeed, Event, EventKind
from intranet.services import events as service
from intranet.services.events import conflicts
from tests.conftest import PG_URL, make_test_config


@pytest.fixture
def own_app(engine_kind, tmp_path):
    """An app on a database of its own where commits are real."""
    if engine_kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
        options: dict = {}
        schema = None
    else:
        schema = f"events_race_{secrets.token_hex(4)}"
        url = PG_URL
        options = {"connect_args": {"options": f"-c search_path={schema}"}}
    config = make_test_config(url, tmp_path)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    application = create_app(config)
    with application.app_context():
        if schema:
            with db.engine.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        if schema:
            with db.engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        db.engine.dispose()


@pytest.mark.pg
def test_two_concurrent_saves_in_one_room_one_wins(own_app, monkeypatch):
    from tests import factories as f

    with own_app.app_context():
        room = f.room("Актовый зал")
        actors = [f.user("admin"), f.user("deputy")]
        ids = [room.id, *(a.id for a in actors)]
    barrier = threading.Barrier(2, timeout=3)
    real = conflicts.find_clashes

    def find_then_wait(*args, **kwargs):
        found = real(*args, **kwargs)
        # Without serialisation both savers would pass their check here before either
        # commits; with it, the second is still waiting for the first to commit.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    monkeypatch.setattr("intranet.services.events.operations.find_clashes", find_then_wait)
    outcomes: list[str] = []

    def save(actor_id: int, title: str) -> None:
        from intranet.i18n import local_today
        from intranet.models import User

        with own_app.app_context():
            try:
                actor = db.session.get(User, actor_id)
                data = service.EventInput(
                    kind=EventKind.MEETING,
                    title=title,
                    responsible_id=actor.id,
                    sessions=[
                        service.SessionInput(
                            "", local_today() + timedelta(days=5), time(10), time(11), ids[0]
                        )
                    ],
                )
                service.create_event(data, actor=actor)
                db.session.commit()
                outcomes.append("saved")
            except service.ScheduleConflict as error:
                db.session.rollback()
                outcomes.append(f"conflict: {error.message}")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=save, args=(ids[1], "Совещание А")),
        threading.Thread(target=save, args=(ids[2], "Совещание Б")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "saved"], outcomes
    conflict = next(o for o in outcomes if o.startswith("conflict"))
    assert "Актовый зал" in conflict and "Совещание" in conflict
    with own_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Event.id))) == 1


@pytest.mark.pg
def test_last_use_is_recorded_at_most_hourly(own_app):
    from tests import factories as f

    with own_app.app_context():
        feed = f.calendar_feed(f.user("student"))
        path = "/feeds/" + service.feed_urls(feed).https.rsplit("/", 1)[1]
        feed_id = feed.id
    client = own_app.test_client()

    def last_used():
        with own_app.app_context():
            value = db.session.scalar(
                db.select(CalendarFeed.last_used_at).where(CalendarFeed.id == feed_id)
            )
            db.session.remove()
            return value

    assert last_used() is None
    assert client.get(path).status_code == 200
    first = last_used()
    assert first is not None
    assert client.get(path).status_code == 200
    assert last_used() == first  # not again within the hour
    with own_app.app_context():
        db.session.execute(
            db.update(CalendarFeed)
            .where(CalendarFeed.id == feed_id)
            .values(last_used_at=first - timedelta(hours=2))
        )
        db.session.commit()
    assert client.get(path).status_code == 200
    assert last_used() > first - timedelta(hours=2)
