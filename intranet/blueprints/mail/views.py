"""Views: the outbox list, one message, its .eml, retrying it, and a test message."""

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from intranet.blueprints.mail import bp
from intranet.extensions import db
from intranet.models import OutboxMessage, OutboxStatus
from intranet.services.errors import InvalidTransition, ValidationFailed
from intranet.services.mail import admin as mail_admin
from intranet.web import require

_STATUSES = {s.value: s for s in OutboxStatus}


@bp.route("/")
@login_required
def index():
    require("mail.manage")
    status = _STATUSES.get(request.args.get("status", ""))
    search = request.args.get("q", "").strip()[:100]
    query = mail_admin.browse_query(status=status, search=search)
    page = db.paginate(query, per_page=50, max_per_page=100, error_out=False)
    return render_template(
        "mail/index.html",
        page=page,
        status=status,
        search=search,
        overview=mail_admin.overview(),
        labels=mail_admin.STATUS_LABELS,
    )


@bp.route("/<int:message_id>")
@login_required
def message(message_id: int):
    require("mail.manage")
    row = db.get_or_404(OutboxMessage, message_id)
    return render_template(
        "mail/message.html",
        message=row,
        content=mail_admin.read_message(row),
        labels=mail_admin.STATUS_LABELS,
    )


@bp.route("/<int:message_id>.eml")
@login_required
def download(message_id: int):
    require("mail.manage")
    row = db.get_or_404(OutboxMessage, message_id)
    return Response(
        row.raw,
        mimetype="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="message-{row.id}.eml"'},
    )


@bp.route("/<int:message_id>/retry", methods=["POST"])
@login_required
def retry(message_id: int):
    require("mail.manage")
    row = db.get_or_404(OutboxMessage, message_id)
    try:
        mail_admin.retry(row, actor=current_user._get_current_object())
    except InvalidTransition as error:
        db.session.rollback()
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(_("The message will be sent again within a minute."), "success")
    return redirect(url_for("mail.message", message_id=message_id))


@bp.route("/test", methods=["POST"])
@login_required
def send_test():
    require("mail.manage")
    try:
        row = mail_admin.send_test(actor=current_user._get_current_object())
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "warning")
        return redirect(url_for("mail.index"))
    db.session.commit()
    flash(
        _("A test message to %(address)s has been queued.", address=current_user.email), "success"
    )
    return redirect(url_for("mail.message", message_id=row.id))
