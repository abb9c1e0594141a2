"""The documents register's pages."""

from flask import Blueprint

from intranet.services.documents import document_label, kind_label

bp = Blueprint("documents", __name__)
bp.add_app_template_global(document_label)
bp.add_app_template_global(kind_label, "document_kind_label")

from intranet.blueprints.documents import views  # noqa: E402,F401
