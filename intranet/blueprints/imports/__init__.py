"""Import pages: CSV of students and of parents, with a preview before anything is written."""

from flask import Blueprint

bp = Blueprint("imports", __name__)

from intranet.blueprints.imports import views  # noqa: E402,F401
