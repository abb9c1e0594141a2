"""Onboarding pages: joining by a link, activation, invitations, join requests, admins."""

from flask import Blueprint

bp = Blueprint("onboarding", __name__)

from intranet.blueprints.onboarding import admins, joining, links, requests  # noqa: E402,F401
