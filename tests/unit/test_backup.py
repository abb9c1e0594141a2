"""Backups: a consistent SQLite snapshot under write load, and restoring it with checks."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade

from intranet import create_app
from intranet.extensions import db
from tests.conftest import make_test_config

WRITE_SECONDS = 2.0


def _migrated_app(instance: Path):
    instance.mkdir(parents=True, exist_ok=True)
    application = create_app(
        make_test_config(f"sqlite:///{instance / 'intranet.sqlite3'}", instance)
    )
    application.instance_path = str(instance)
    with application.app_context():
        upgrade()
        db.engine.dispose()
    return application


def _insert_events(path: Path, count: int, label: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=15)
    conn.execute("BEGIN IMMEDIATE")
    for i in range(count):
        conn.execute(
            "INSERT INTO audit_event (at, action, object_type, summary, data) "
            "VALUES ('2026-11-29 10:00:00', ?, '', ?, '{}')",
            (label, f"{label} {i}"),
        )
    conn.execute("COMMIT")
    conn.close()


def _count(path: Path, table: str = "audit_event") -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
    finally:
        conn.close()


@pytest.fixture
def live(tmp_path):
    application = _migrated_app(tmp_path / "live")
    path = tmp_path / "live" / "intranet.sqlite3"
    _insert_events(path, 20_000, "seed")  # several MB: the copy takes many steps
    return application, path


def test_backup_under_write_load_is_consistent_and_restores_into_a_fresh_instance(live, tmp_path):
    application, path = live
    stop = threading.Event()
    committed = []  # ids of the rows the writer committed, in order

    def writer() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=15)
        deadline = time.monotonic() + WRITE_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            conn.execute("BEGIN IMMEDIATE")
            cursor = conn.execute(
                "INSERT INTO audit_event (at, action, object_type, summary, data) "
                "VALUES ('2026-11-29 10:00:01', 'load', '', 'written', '{}')"
            )
            conn.execute("COMMIT")
            committed.append(cursor.lastrowid)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.3)
    before = len(committed)
    result = application.test_cli_runner().invoke(
        args=["backup", "--pages", "64", "--pause", "0.01"]
    )
    during = len(committed) - before
    thread.join(WRITE_SECONDS + 5)
    stop.set()

    assert result.exit_code == 0, result.output
    backups = sorted((tmp_path / "live" / "backups").glob("intranet-*.sqlite3"))
    assert len(backups) == 1
    snapshot = backups[0]
    manifest = json.loads(snapshot.with_name(snapshot.name + ".json").read_text())
    assert manifest["integrity_check"] == "ok"
    assert manifest["steps"] > 1  # copied in pages, not in one go
    assert during > 0, "the writer was held up for the whole copy"
    conn = sqlite3.connect(snapshot)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    rows, top = conn.execute("SELECT count(*), max(id) FROM audit_event").fetchone()
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    conn.close()
    # One moment's state: every committed row up to some point, and nothing after it.
    assert rows == top
    assert 20_000 + before <= rows <= 20_000 + len(committed)
    assert manifest["row_counts"]["audit_event"] == rows
    assert manifest["revision"] == revision
    assert _count(path) == 20_000 + len(committed) > rows

    fresh = _migrated_app(tmp_path / "fresh")
    fresh_path = tmp_path / "fresh" / "intranet.sqlite3"
    assert _count(fresh_path) == 0
    restored = fresh.test_cli_runner().invoke(args=["restore", str(snapshot)])

    assert restored.exit_code == 0, restored.output
    assert _count(fresh_path) == rows
    conn = sqlite3.connect(fresh_path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT count(*) FROM audit_event WHERE action = 'seed'").fetchone() == (
        20_000,
    )
    conn.close()
    for table, count in manifest["row_counts"].items():
        assert _count(fresh_path, table) == count, table
    kept = list((tmp_path / "fresh").glob("intranet.sqlite3.before-restore-*"))
    assert len(kept) == 1 and _count(kept[0]) == 0
    with fresh.app_context():  # the app reads the restored data
        assert db.session.execute(db.text("SELECT count(*) FROM audit_event")).scalar() == rows


def test_backup_into_a_named_file(live, tmp_path):
    application, _path = live
    target = tmp_path / "copies" / "nightly.sqlite3"

    first = application.test_cli_runner().invoke(args=["backup", str(target)])
    again = application.test_cli_runner().invoke(args=["backup", str(target)])

    assert first.exit_code == 0, first.output
    assert target.is_file() and Path(str(target) + ".json").is_file()
    assert again.exit_code != 0 and "уже существует" in again.output


def _backup(application, tmp_path) -> Path:
    target = tmp_path / "b" / "copy.sqlite3"
    result = application.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    return target


def test_restore_refuses_a_corrupt_file_and_leaves_the_database_alone(live, tmp_path):
    application, path = live
    snapshot = _backup(application, tmp_path)
    corrupt = tmp_path / "corrupt.sqlite3"
    shutil.copy(snapshot, corrupt)
    with corrupt.open("r+b") as handle:  # scribble over pages in the middle of the table
        handle.seek(40 * 4096)
        handle.write(b"\xa5" * 4096 * 20)
    not_sqlite = tmp_path / "notes.sqlite3"
    not_sqlite.write_text("это не база данных")
    _insert_events(path, 5, "after")
    runner = application.test_cli_runner()

    scribbled = runner.invoke(args=["restore", str(corrupt)])
    garbage = runner.invoke(args=["restore", str(not_sqlite)])
    missing = runner.invoke(args=["restore", str(tmp_path / "nothing.sqlite3")])

    assert scribbled.exit_code != 0 and "повреждена" in scribbled.output
    assert garbage.exit_code != 0 and "не файл базы данных SQLite" in garbage.output
    assert missing.exit_code != 0 and "не найден" in missing.output
    assert _count(path) == 20_005
    assert not list(path.parent.glob("*.before-restore-*"))


def test_restore_refuses_a_copy_that_does_not_match_its_manifest(live, tmp_path):
    application, path = live
    snapshot = _backup(application, tmp_path)
    conn = sqlite3.connect(snapshot)
    conn.execute("DELETE FROM audit_event WHERE id > 10")
    conn.commit()
    conn.close()

    result = application.test_cli_runner().invoke(args=["restore", str(snapshot)])

    assert result.exit_code != 0 and "sha256" in result.output
    assert _count(path) == 20_000


def test_restore_refuses_an_unknown_schema_revision(live, tmp_path):
    application, path = live
    snapshot = _backup(application, tmp_path)
    other = tmp_path / "other.sqlite3"  # no manifest beside it
    shutil.copy(snapshot, other)
    conn = sqlite3.connect(other)
    conn.execute("UPDATE alembic_version SET version_num = 'f00dcafe'")
    conn.commit()
    conn.close()

    result = application.test_cli_runner().invoke(args=["restore", str(other)])

    assert result.exit_code != 0
    assert "Версия схемы копии «f00dcafe» незнакома" in result.output
    assert _count(path) == 20_000


def test_restore_refuses_while_the_database_is_open_elsewhere(live, tmp_path):
    application, path = live
    snapshot = _backup(application, tmp_path)
    _insert_events(path, 3, "later")
    web_server = sqlite3.connect(path)  # another process keeping the database open
    web_server.execute("SELECT count(*) FROM user").fetchall()
    try:
        result = application.test_cli_runner().invoke(
            args=["restore", str(snapshot), "--wait", "0.2"]
        )
    finally:
        web_server.close()

    assert result.exit_code != 0
    assert "База данных занята" in result.output
    assert _count(path) == 20_003


def test_postgresql_is_pointed_to_pg_dump(tmp_path):
    application = create_app(make_test_config("postgresql://nobody@127.0.0.1:1/none", tmp_path))
    runner = application.test_cli_runner()

    made = runner.invoke(args=["backup"])
    restored = runner.invoke(args=["restore", str(tmp_path / "x.dump")])

    assert made.exit_code != 0 and "pg_dump -Fc" in made.output
    assert restored.exit_code != 0 and "pg_restore" in restored.output
