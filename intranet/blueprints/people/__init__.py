"""People pages."""

from flask import Blueprint

bp = Blueprint("people", __name__)

from intranet.blueprints.people import views  # noqa: E402,F401
