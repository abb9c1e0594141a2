"""Calendar feeds served to calendar apps: no session, a signed token in the URL."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

from intranet.blueprints.feeds import views  # noqa: E402,F401
