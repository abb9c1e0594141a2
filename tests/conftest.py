"""Fixtures: one app and schema per engine, a rolled-back transaction per test, login_as."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from itsdangerous import URLSafeTimedSerializer

from intranet import create_app
from intranet.catalog import build as build_catalog
from intranet.extensions import db, limiter
from intranet.services import throttle

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _pg_url() -> str:
    """The PostgreSQL database of this test process. With pytest-xdist each worker gets a
    database of its own beside the one named (intranet_ci → intranet_ci_gw0, …), created on
    first use, since the session fixture drops and creates every table."""
    url = os.environ.get("INTRANET_TEST_DATABASE_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    base, _, name = url.rpartition("/")
    name, sep, query = name.partition("?")
    own = f"{name}_{worker}"
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (own,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{own}"')
    return f"{base}/{own}{sep}{query}"


PG_URL = _pg_url()


def make_test_config(database_url: str, instance: Path) -> dict:
    return {
        "TESTING": True,
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "TOKEN_KEY": "test-token-key-" + "y" * 32,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
        "RATELIMIT_STORAGE_URI": "memory://",
        "BASE_URL": "http://localhost",
        "MAIL_DIR": str(instance / "mail"),
        "UPLOAD_DIR": str(instance / "uploads"),
    }


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses the app runs on SQLite; `pg`-marked ones on PostgreSQL too."""
    if "engine_kind" not in metafunc.fixturenames:
        return
    kinds = ["sqlite"]
    if PG_URL and metafunc.definition.get_closest_marker("pg"):
        kinds.append("pg")
    metafunc.parametrize("engine_kind", kinds, indirect=True, scope="session")


@pytest.fixture(scope="session")
def engine_kind(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def _catalog() -> None:
    build_catalog()


@pytest.fixture(scope="session")
def app(engine_kind, tmp_path_factory, _catalog):
    """One app per engine; the schema is created once for the session."""
    instance = tmp_path_factory.mktemp(f"instance-{engine_kind}")
    url = f"sqlite:///{instance / 'test.sqlite3'}" if engine_kind == "sqlite" else PG_URL
    application = create_app(make_test_config(url, instance))
    application.test_client_class = CSRFClient
    with application.app_context():
        if engine_kind == "pg":
            db.drop_all()
        db.create_all()
    yield application
    if engine_kind == "pg":
        with application.app_context():
            db.drop_all()


@pytest.fixture(autouse=True)
def _transaction(request):
    """Each test runs inside a transaction rolled back at its end."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": BoundSession,
                "expire_on_commit": False,
            }
        )
        limiter.storage.reset()
        throttle.reset(app)
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


class BoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks an engine itself; in tests it uses the test's connection."""

    def get_bind(self, *args, **kwargs):
        return self.bind


class CSRFClient(FlaskClient):
    """A test client that adds a valid CSRF token to unsafe requests (csrf=False to omit)."""

    def open(self, *args, **kwargs):
        with_token = kwargs.pop("csrf", True)
        method = (kwargs.get("method") or "GET").upper()
        if with_token and method in UNSAFE:
            data = kwargs.get("data")
            if data is None:
                data = kwargs["data"] = {}
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
        # A request gets an app context (so g and the session) of its own, as in production,
        # not the one the test holds open.
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        signer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return signer.dumps(raw)


@pytest.fixture
def client(app) -> CSRFClient:
    return app.test_client()


@pytest.fixture
def login_as(client):
    """Sign the test client in as a new person with these roles (no password hashing)."""
    from tests import factories

    def _login(*roles, user=None, **fields):
        if user is None:
            user = factories.user(*roles, **fields)
        sid = factories.login_session(user)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["sid"] = sid
        return user

    return _login


@pytest.fixture
def make():
    """The factories module, for building data in tests."""
    from tests import factories

    return factories
