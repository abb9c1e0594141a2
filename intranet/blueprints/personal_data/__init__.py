"""Personal data (152-ФЗ): a person's own data and consents, admins' export and overview."""

from flask import Blueprint

bp = Blueprint("personal_data", __name__)

from intranet.blueprints.personal_data import views  # noqa: E402,F401
