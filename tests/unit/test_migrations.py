"""Migrations: upgrade an empty database to head, then the models and the schema agree."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from intranet import create_app
from intranet.extensions import db
from tests.conftest import PG_URL, make_test_config


def _fresh_database(kind: str, tmp_path):
    """A URL of an empty database of this kind, and a function that removes it."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}", lambda: None
    name = f"intranet_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{base}/{name}", drop


KINDS = ["sqlite"] + (["pg"] if PG_URL else [])


@pytest.mark.parametrize("kind", KINDS)
def test_upgrade_to_head_matches_models(kind, tmp_path):
    url, drop = _fresh_database(kind, tmp_path)
    try:
        app = create_app(make_test_config(url, tmp_path))
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
            db.engine.dispose()
        assert diff == [], f"models and migrations differ on {kind}: {diff}"
    finally:
        drop()


def test_no_pending_heads():
    """One linear history: exactly one head."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    directory = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")
    config = Config()
    config.set_main_option("script_location", os.path.abspath(directory))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
