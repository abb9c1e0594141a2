"""Views: audit log browsing and export."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from intranet.blueprints.admin import bp
from intranet.extensions import db
from intranet.services import audit as audit_service
from intranet.services.csvexport import csv_response
from intranet.web import require


@bp.route("/audit")
@login_required
def audit():
    require("audit.view")
    query = audit_service.browse_query(action=request.args.get("action", "")[:64])
    page = db.paginate(query, per_page=50, max_per_page=100, error_out=False)
    return render_template("admin/audit.html", page=page)


@bp.route("/audit.csv")
@login_required
def audit_csv():
    require("audit.view")
    query = audit_service.browse_query(action=request.args.get("action", "")[:64]).limit(10000)
    rows = (
        (
            e.at.isoformat(timespec="seconds"),
            e.actor.full_name if e.actor else "",
            e.action,
            e.object_type,
            e.object_id,
            e.summary,
            e.ip,
        )
        for e in db.session.scalars(query)
    )
    header = [
        _("When"),
        _("Who"),
        _("Action"),
        _("Object"),
        _("Object ID"),
        _("Details"),
        _("IP address"),
    ]
    return csv_response("audit.csv", header, rows)
