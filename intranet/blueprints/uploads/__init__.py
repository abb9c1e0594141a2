"""Stored uploads, served after a permission check (announcement images, attachments)."""

from flask import Blueprint

bp = Blueprint("uploads", __name__)

from intranet.blueprints.uploads import views  # noqa: E402,F401
