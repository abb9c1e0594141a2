"""Pages of councils (parents', students') and extracurricular groups (кружки, секции)."""

from flask import Blueprint

from intranet.services.councils import club_kind_label, council_kind_label

bp = Blueprint("councils", __name__)
bp.add_app_template_global(council_kind_label)
bp.add_app_template_global(club_kind_label)

from intranet.blueprints.councils import views  # noqa: E402,F401
