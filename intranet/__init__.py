"""Колледж · Интранет: the application factory."""

from __future__ import annotations

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI, error pages and headers."""
    app = Flask(__name__, instance_relative_config=True)

    from intranet import config

    config.load_config(app, test_config)

    from intranet import cli, database, errors, i18n, security_headers, web
    from intranet.extensions import bootstrap, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    database.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    errors.init_app(app)
    security_headers.init_app(app)
    cli.init_app(app)

    from intranet.blueprints import register_blueprints

    register_blueprints(app)

    if app.config["ENV"] == "production" and not app.config.get("TESTING"):
        from intranet.deploycheck import refuse_unsafe_start

        refuse_unsafe_start(app)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
