"""Structure pages."""

from flask import Blueprint

bp = Blueprint("structure", __name__)

from intranet.blueprints.structure import views  # noqa: E402,F401
