"""Signing in and out, the profile and the password."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from intranet.blueprints.auth import mail_settings, reset, twofactor, views  # noqa: E402,F401
