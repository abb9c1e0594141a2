"""Movement pages: students and staff, tutor distribution, the report."""

from flask import Blueprint

from intranet.services.movement import kind_label, status_label

bp = Blueprint("movement", __name__)
bp.add_app_template_global(kind_label, "movement_kind_label")
bp.add_app_template_global(status_label, "movement_status_label")

from intranet.blueprints.movement import staff, views  # noqa: E402,F401
