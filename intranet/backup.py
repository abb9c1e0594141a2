"""Backups of the SQLite database while the app keeps running, and restoring one.

`flask --app wsgi backup [PATH]` copies the live database with SQLite's online backup API.
The copy is taken inside one read transaction of its own connection: in WAL mode that pins
a snapshot, so the file is consistent as of one moment while web workers and the worker go
on writing (readers never block writers in WAL). Pages are copied a batch at a time with a
short pause between batches, so the copy does not monopolise the disk or a CPU either.
Beside the file goes a manifest (`<name>.json`): the schema revision, row counts per table,
the size and the SHA-256 of the file.

`flask --app wsgi restore PATH` checks the file (integrity_check, the schema revision known
to this code), takes an exclusive lock on the live database (refusing if anything else has
it open: stop the web server and the worker first), keeps the current file aside and copies
the backup in through the same API.

On PostgreSQL both commands refuse and point to pg_dump / pg_restore (see the README).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from intranet.extensions import db

PAGES_PER_STEP = 256  # 1 MiB with 4 KiB pages
PAUSE_SECONDS = 0.005  # between steps
PG_HINT = (
    "База данных — PostgreSQL: резервную копию делает pg_dump, восстанавливает pg_restore, "
    "например «pg_dump -Fc -f intranet.dump $DATABASE_URL» и "
    "«pg_restore --clean --if-exists --no-owner -d $DATABASE_URL intranet.dump» "
    "(подробнее — в README, раздел «Рабочая установка»)."
)


class BackupError(Exception):
    """A refusal with a message for the operator (in Russian)."""


@dataclass
class Snapshot:
    path: Path
    manifest_path: Path
    manifest: dict = field(default_factory=dict)


def sqlite_file() -> Path:
    """The live SQLite file, or BackupError on another engine (or an in-memory database)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupError(PG_HINT)
    if not url.database or url.database == ":memory:":
        raise BackupError("База данных SQLite в памяти: копировать нечего.")
    return Path(url.database).resolve()


def default_dir() -> Path:
    return Path(current_app.instance_path) / "backups"


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def _target(path: Path | None, now: datetime | None = None) -> Path:
    name = f"intranet-{_stamp(now)}.sqlite3"
    if path is None:
        return default_dir() / name
    if path.is_dir() or str(path).endswith(("/", "\\")):
        return path / name
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe(conn: sqlite3.Connection) -> dict:
    """The schema revision and the row count of every table of an open database."""
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    # The names come from sqlite_master of the file itself, quoted as identifiers.
    counts = {
        t: conn.execute(f'SELECT count(*) FROM "{t.replace(chr(34), chr(34) * 2)}"').fetchone()[0]  # noqa: S608
        for t in tables
    }
    revision = None
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return {"revision": revision, "row_counts": counts}


def backup(
    path: Path | None = None,
    *,
    pages: int = PAGES_PER_STEP,
    pause: float = PAUSE_SECONDS,
    now: datetime | None = None,
) -> Snapshot:
    """Write a consistent copy of the live database and its manifest; return both paths."""
    source_path = sqlite_file()
    target = _target(path, now)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise BackupError(f"Файл {target} уже существует: выберите другое имя.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    busy = int(current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000)) / 1000
    started = time.monotonic()
    source = sqlite3.connect(source_path, timeout=busy, isolation_level=None)
    steps = 0
    try:
        # One read transaction for the whole copy: the WAL snapshot it pins is what is
        # copied, page batch after page batch, while other connections keep committing.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchall()
        destination = sqlite3.connect(partial, isolation_level=None)
        try:

            def progress(_status: int, _remaining: int, _total: int) -> None:
                nonlocal steps
                steps += 1
                if pause:
                    time.sleep(pause)

            source.backup(destination, pages=pages, progress=progress)
            source.execute("COMMIT")
            destination.execute("PRAGMA journal_mode = DELETE")
            check = destination.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise BackupError(f"Копия не прошла проверку целостности: {check[:3]}")
            facts = describe(destination)
        finally:
            destination.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    partial.replace(target)
    manifest = {
        "format": "intranet-sqlite-backup/1",
        "created_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "source": str(source_path),
        "file": target.name,
        "size": target.stat().st_size,
        "sha256": sha256_of(target),
        "revision": facts["revision"],
        "integrity_check": "ok",
        "row_counts": facts["row_counts"],
        "steps": steps,
        "seconds": round(time.monotonic() - started, 3),
    }
    manifest_path = target.with_name(target.name + ".json")
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return Snapshot(target, manifest_path, manifest)


def known_revisions() -> tuple[str | None, set[str]]:
    """The head revision of this code's migrations, and every revision they know."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    scripts = ScriptDirectory.from_config(config)
    heads = scripts.get_heads()
    return (heads[0] if len(heads) == 1 else None), {s.revision for s in scripts.walk_revisions()}


def check_backup(path: Path) -> dict:
    """Open a backup read-only and check it; BackupError says what is wrong with it."""
    if not path.is_file():
        raise BackupError(f"Файл {path} не найден.")
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} — не файл базы данных SQLite.")
    manifest = path.with_name(path.name + ".json")
    if manifest.is_file():
        try:
            expected = json.loads(manifest.read_text()).get("sha256")
        except (ValueError, AttributeError):
            expected = None
        if expected and expected != sha256_of(path):
            raise BackupError(f"Файл {path} не совпадает с описанием {manifest} (sha256).")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise BackupError(
                    f"Копия повреждена (integrity_check: {'; '.join(r[0] for r in check[:3])})."
                )
            facts = describe(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"Копия повреждена: {error}.") from error
    head, known = known_revisions()
    revision = facts["revision"]
    if revision is None:
        raise BackupError("В копии нет версии схемы (alembic_version): это не копия интранета.")
    if revision not in known:
        raise BackupError(
            f"Версия схемы копии «{revision}» незнакома этой версии программы "
            f"(текущая — «{head}»): восстановите копию той версией, которой она сделана."
        )
    facts["head"] = head
    return facts


def restore(path: Path, *, wait: float = 2.0, now: datetime | None = None) -> dict:
    """Replace the live database with a checked backup; the replaced file is kept aside."""
    live_path = sqlite_file()
    facts = check_backup(path)
    db.engine.dispose()  # this process's own pooled connections
    live = sqlite3.connect(live_path, timeout=wait, isolation_level=None)
    try:
        try:
            live.execute("PRAGMA locking_mode = EXCLUSIVE")
            live.execute("BEGIN EXCLUSIVE")
            live.execute("COMMIT")
        except sqlite3.OperationalError as error:
            raise BackupError(
                "База данных занята (её держат веб-сервер или обработчик фоновых задач): "
                "остановите их и повторите восстановление."
            ) from error
        aside = live_path.with_name(f"{live_path.name}.before-restore-{_stamp(now)}")
        keep = sqlite3.connect(aside, isolation_level=None)
        try:
            live.backup(keep)
            keep.execute("PRAGMA journal_mode = DELETE")
        finally:
            keep.close()
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            source.backup(live)
        finally:
            source.close()
        check = live.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:  # pragma: no cover - the copy was checked just before
            raise BackupError(f"После восстановления база не прошла проверку: {check[:3]}")
        restored = describe(live)
        live.execute("PRAGMA locking_mode = NORMAL")
        live.execute("SELECT count(*) FROM sqlite_master").fetchall()  # releases the lock
    finally:
        live.close()
    return {**facts, "aside": str(aside), "row_counts": restored["row_counts"]}


@click.command("backup")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--pages", default=PAGES_PER_STEP, show_default=True, help="Pages per step.")
@click.option("--pause", default=PAUSE_SECONDS, show_default=True, help="Seconds between steps.")
@with_appcontext
def backup_command(path: Path | None, pages: int, pause: float) -> None:
    """Write a consistent copy of the SQLite database (default: instance/backups/)."""
    try:
        snapshot = backup(path, pages=pages, pause=pause)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    m = snapshot.manifest
    click.echo(f"Копия: {snapshot.path}")
    click.echo(f"Описание: {snapshot.manifest_path}")
    click.echo(
        f"Версия схемы {m['revision']}, {sum(m['row_counts'].values())} строк "
        f"в {len(m['row_counts'])} таблицах, {m['size']} байт, sha256 {m['sha256']}, "
        f"{m['seconds']} с."
    )


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--wait", default=2.0, show_default=True, help="Seconds to wait for the lock.")
@with_appcontext
def restore_command(path: Path, wait: float) -> None:
    """Replace the SQLite database with a backup (stop the web server and the worker first)."""
    try:
        facts = restore(path, wait=wait)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"База восстановлена из {path}.")
    click.echo(f"Прежний файл сохранён как {facts['aside']}.")
    if facts["revision"] != facts["head"]:
        click.echo(
            f"Версия схемы копии {facts['revision']} старше текущей {facts['head']}: "
            "выполните «flask --app wsgi db upgrade»."
        )
