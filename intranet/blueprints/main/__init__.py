"""The home page per role, and the trivial endpoint that benchmarks measure against."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from intranet.blueprints.main import views  # noqa: E402,F401
