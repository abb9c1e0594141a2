"""The «Почта» admin page: the outbox by status, message contents, retries, worker jobs."""

from flask import Blueprint

bp = Blueprint("mail", __name__)

from intranet.blueprints.mail import views  # noqa: E402,F401
