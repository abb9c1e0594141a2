"""check-deploy and the production start: every unsafe setting is named, and refused."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from intranet.deploycheck import problems
from tests.security.support import extra_app

ROOT = Path(__file__).resolve().parents[2]

SAFE = {
    "ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(48),
    "TOKEN_KEY": secrets.token_urlsafe(48),
    "DEBUG": False,
    "SESSION_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
    "WEB_CONCURRENCY": 4,
    "TRUSTED_HOSTS": ["intranet.college.ru"],
    "BASE_URL": "https://intranet.college.ru",
}

# One unsafe change each → (what the listing must name).
UNSAFE = {
    "weak secret": ({"SECRET_KEY": "dev"}, "INTRANET_SECRET_KEY is missing or weak"),
    "short secret": ({"SECRET_KEY": "x" * 31}, "INTRANET_SECRET_KEY is missing or weak"),
    "missing secret": ({"SECRET_KEY": ""}, "INTRANET_SECRET_KEY is missing or weak"),
    "missing token key": ({"TOKEN_KEY": ""}, "INTRANET_TOKEN_KEY is missing or weak"),
    "same keys": ({"TOKEN_KEY": SAFE["SECRET_KEY"]}, "must differ from INTRANET_SECRET_KEY"),
    "debug": ({"DEBUG": True}, "Debug mode is on"),
    "plain-HTTP session cookie": ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
    "plain-HTTP remember cookie": ({"REMEMBER_COOKIE_SECURE": False}, "REMEMBER_COOKIE_SECURE"),
    "script-readable cookie": ({"SESSION_COOKIE_HTTPONLY": False}, "SESSION_COOKIE_HTTPONLY"),
    "cross-site cookie": ({"SESSION_COOKIE_SAMESITE": None}, "SESSION_COOKIE_SAMESITE"),
    "no upload limit": ({"MAX_CONTENT_LENGTH": None}, "No upload limit"),
    "throttling off": ({"RATELIMIT_ENABLED": False}, "throttling is off"),
    "memory limits, 4 workers": (
        {"RATELIMIT_STORAGE_URI": "memory://"},
        "Rate limits are kept in memory",
    ),
    "no trusted hosts": ({"TRUSTED_HOSTS": None}, "No trusted hosts"),
    "plain-HTTP base URL": ({"BASE_URL": "http://intranet.college.ru"}, "INTRANET_BASE_URL"),
    "SQLite, 8 workers": ({"WEB_CONCURRENCY": 8}, "SQLite with many worker processes"),
    "two-factor not required": ({"REQUIRE_2FA_FOR": []}, "Two-factor sign-in is not required"),
    "two-factor for admins only": (
        {"REQUIRE_2FA_FOR": ["admin"]},
        "Two-factor sign-in is not required",
    ),
    "no idle timeout": ({"SESSION_IDLE_TIMEOUT": 0}, "never end when idle"),
}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """What the machine running the tests has set must not leak into these checks."""
    for name in list(os.environ):
        if name.startswith("INTRANET_") or name in ("FLASK_DEBUG", "WEB_CONCURRENCY"):
            monkeypatch.delenv(name)


def checked(app, overrides: dict):
    """check-deploy through Flask's CLI runner on an app with SAFE plus these settings."""
    config = {**SAFE, **overrides}
    with extra_app(app, config) as candidate:
        # Explicit None means "not set": put that back after create_app filled defaults.
        for key, value in overrides.items():
            if value is None:
                candidate.config[key] = None
        # The test's own app context is active; the command must see this app's.
        with candidate.app_context():
            return candidate.test_cli_runner().invoke(args=["check-deploy"])


def test_all_set_passes(app):
    result = checked(app, {})
    assert result.exit_code == 0, result.output
    assert "No problems found." in result.output


@pytest.mark.parametrize("case", list(UNSAFE), ids=list(UNSAFE))
def test_each_unsafe_setting_is_listed(app, case):
    overrides, expected = UNSAFE[case]
    result = checked(app, overrides)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.startswith("- ")]
    assert any(expected in line for line in lines), result.output
    if case not in ("missing secret", "same keys"):
        assert len(lines) == 1, f"only the broken setting is listed:\n{result.output}"


def test_everything_unsafe_is_listed_at_once(app):
    overrides = {}
    for change, _expected in UNSAFE.values():
        overrides.update(change)
    overrides["SECRET_KEY"] = "dev"
    result = checked(app, overrides)
    assert result.exit_code == 1
    for case, (_change, expected) in UNSAFE.items():
        if case not in ("same keys", "short secret", "missing secret", "missing token key"):
            assert expected in result.output, f"{case} not listed:\n{result.output}"


def test_environment_of_the_server_counts(app, monkeypatch):
    """FLASK_DEBUG=1 and gunicorn's WEB_CONCURRENCY are read from the environment."""
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    with extra_app(app, {**SAFE, "WEB_CONCURRENCY": 1, "RATELIMIT_STORAGE_URI": "memory://"}) as a:
        found = "\n".join(problems(a))
    assert "Debug mode is on" in found
    assert "Rate limits are kept in memory" in found


def test_production_start_with_weak_settings_refuses_to_serve(app, capsys):
    weak = {**SAFE, "TESTING": False, "SECRET_KEY": "changeme", "DEBUG": True}
    with pytest.raises(SystemExit) as refused, extra_app(app, weak):
        pass
    assert refused.value.code == 1
    err = capsys.readouterr().err
    assert "Refusing to start in production" in err
    assert "INTRANET_SECRET_KEY" in err and "Debug mode" in err


def test_production_start_with_safe_settings_serves(app):
    with extra_app(app, {**SAFE, "TESTING": False}) as production:
        assert production.config["ENV"] == "production"


def test_trusted_hosts_from_the_environment_restrict_hosts(app, monkeypatch):
    monkeypatch.setenv("INTRANET_TRUSTED_HOSTS", '["a.example"]')
    with extra_app(app, {"TRUSTED_HOSTS": None, "TESTING": False}) as guarded:
        assert guarded.config["TRUSTED_HOSTS"] == ["a.example"]
        client = guarded.test_client()
        assert client.get("/login", base_url="http://a.example").status_code == 200
        assert client.get("/login", base_url="https://a.example:8443").status_code == 200
        other = client.get("/login", base_url="http://evil.example")
        assert other.status_code == 400
        assert other.mimetype == "text/plain"
        assert other.headers["X-Frame-Options"] == "DENY"
        spoofed = client.get("/login", headers={"Host": "evil.example"})
        assert spoofed.status_code == 400
        refused = client.post("/login", base_url="http://sub.a.example", csrf=False)
        assert refused.status_code == 400


@pytest.mark.slow
def test_flask_command_line(tmp_path):
    """`flask --app wsgi check-deploy` as an operator runs it, configured from the environment."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "INTRANET_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "INTRANET_ENV": "production",
        "INTRANET_SECRET_KEY": SAFE["SECRET_KEY"],
        "INTRANET_TOKEN_KEY": SAFE["TOKEN_KEY"],
        "INTRANET_SESSION_COOKIE_SECURE": "true",
        "INTRANET_REMEMBER_COOKIE_SECURE": "true",
        "INTRANET_TRUSTED_HOSTS": '["intranet.college.ru"]',
        "INTRANET_BASE_URL": "https://intranet.college.ru",
        "INTRANET_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "INTRANET_WEB_CONCURRENCY": "4",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "check-deploy"]
    ok = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "No problems found." in ok.stdout
    env.pop("INTRANET_TRUSTED_HOSTS")
    env["INTRANET_RATELIMIT_STORAGE_URI"] = "memory://"
    bad = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0
    assert "INTRANET_TRUSTED_HOSTS" in bad.stderr + bad.stdout
    assert "INTRANET_RATELIMIT_STORAGE_URI" in bad.stderr + bad.stdout
    assert "INTRANET_REQUIRE_2FA_FOR" not in bad.stderr + bad.stdout
    env["INTRANET_REQUIRE_2FA_FOR"] = "[]"  # turned off in production
    off = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert off.returncode != 0
    assert "INTRANET_REQUIRE_2FA_FOR" in off.stderr + off.stdout


def test_two_factor_requirement_follows_the_environment(app):
    """Production requires it for admin and head unless told otherwise; elsewhere nobody."""
    with extra_app(app, {**SAFE, "REQUIRE_2FA_FOR": None}) as production:
        assert production.config["REQUIRE_2FA_FOR"] == ["admin", "head"]
    with extra_app(app, {"ENV": "development", "REQUIRE_2FA_FOR": None}) as development:
        assert development.config["REQUIRE_2FA_FOR"] == []
    with extra_app(app, {**SAFE, "REQUIRE_2FA_FOR": []}) as turned_off:
        found = "\n".join(problems(turned_off))
    assert "INTRANET_REQUIRE_2FA_FOR" in found
