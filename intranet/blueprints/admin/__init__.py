"""Administration pages: the audit log (and, with the outbox, the mail queue)."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from intranet.blueprints.admin import views  # noqa: E402,F401
