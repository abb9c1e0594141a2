"""Views: the join-request queue (filters, one or several at once) and a request's page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from intranet import i18n
from intranet.blueprints.onboarding import bp
from intranet.blueprints.onboarding.forms import BulkDecideForm, DecideForm
from intranet.blueprints.structure.common import (
    int_arg,
    me,
    page_size,
    show_error,
    submit,
    text_arg,
)
from intranet.extensions import db
from intranet.models import JoinRequest, JoinStatus, Role
from intranet.services import onboarding, structure
from intranet.services.errors import ValidationFailed
from intranet.web import require


def _filters() -> onboarding.RequestFilters:
    raw_status = text_arg("status", 10)
    if raw_status == "all":
        status = None
    else:
        try:
            status = JoinStatus(raw_status) if raw_status else JoinStatus.PENDING
        except ValueError:
            status = JoinStatus.PENDING
    try:
        role = Role(text_arg("role", 10)) if text_arg("role", 10) else None
    except ValueError:
        role = None
    return onboarding.RequestFilters(
        status=status, role=role, group_id=int_arg("group"), q=text_arg("q")
    )


def _queue(form: BulkDecideForm, status: int = 200):
    today = i18n.local_today()
    filters = _filters()
    page = db.paginate(
        onboarding.requests_query(me(), filters, today), per_page=page_size(), error_out=False
    )
    return render_template(
        "onboarding/requests.html",
        page=page,
        filters=filters,
        form=form,
        groups=structure.all_groups(),
        roles=list(onboarding.ADMIN_ROLES) + [Role.PARENT],
        statuses=list(JoinStatus),
        student_groups=onboarding.student_groups(
            [r.student_id for r in page.items if r.student_id], today
        ),
    ), status


@bp.route("/onboarding/requests")
@login_required
def requests():
    require("onboarding.requests")
    return _queue(BulkDecideForm(formdata=None))


@bp.route("/onboarding/requests/decide", methods=["POST"])
@login_required
def decide_many():
    require("onboarding.requests")
    form = BulkDecideForm()
    back = url_for("onboarding.requests", **request.args)
    if not form.validate_on_submit():
        flash(_("Choose the requests and what to do with them."), "error")
        return redirect(back)
    try:
        with db.session.begin_nested():
            outcome = onboarding.decide_many(
                form.ids.data or [],
                me(),
                approve_them=form.decision.data == "approve",
                reason=form.reason.data or "",
                confirm_teacher=form.confirm_teacher.data,
                today=i18n.local_today(),
            )
    except ValidationFailed as error:
        show_error(form, error)
        return _queue(form, 400)
    db.session.commit()
    if outcome.done:
        flash(
            ngettext("%(num)d request decided.", "%(num)d requests decided.", outcome.done),
            "success",
        )
    for line in outcome.skipped[:20]:
        flash(line, "warning")
    return redirect(back)


def _request(request_id: int) -> JoinRequest:
    found = db.session.scalar(
        onboarding.requests_query(
            me(), onboarding.RequestFilters(status=None), i18n.local_today()
        ).where(JoinRequest.id == request_id)
    )
    if found is None:
        if db.session.get(JoinRequest, request_id) is None:
            abort(404)
        abort(403)
    require("onboarding.decide", found)
    return found


@bp.route("/onboarding/requests/<int:request_id>")
@login_required
def request_page(request_id: int):
    require("onboarding.requests")
    join_request = _request(request_id)
    return render_template(
        "onboarding/request.html",
        r=join_request,
        form=DecideForm(formdata=None),
        student_groups=onboarding.student_groups([join_request.student_id], i18n.local_today()),
    )


@bp.route("/onboarding/requests/<int:request_id>/approve", methods=["POST"])
@login_required
def approve(request_id: int):
    require("onboarding.requests")
    join_request = _request(request_id)
    form = DecideForm()
    if not form.validate_on_submit():
        return redirect(url_for("onboarding.request_page", request_id=request_id))
    done = submit(
        None,
        lambda: onboarding.approve(
            join_request,
            me(),
            confirm_teacher=form.confirm_teacher.data,
            today=i18n.local_today(),
        ),
        _("The request has been approved."),
        url_for("onboarding.requests"),
    )
    return done or redirect(url_for("onboarding.request_page", request_id=request_id))


@bp.route("/onboarding/requests/<int:request_id>/reject", methods=["POST"])
@login_required
def reject(request_id: int):
    require("onboarding.requests")
    join_request = _request(request_id)
    form = DecideForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: onboarding.reject(join_request, me(), reason=form.reason.data or ""),
            _("The request has been rejected; the applicant is told why."),
            url_for("onboarding.requests"),
        )
        if done:
            return done
    return render_template(
        "onboarding/request.html",
        r=join_request,
        form=form,
        student_groups=onboarding.student_groups([join_request.student_id], i18n.local_today()),
    ), 400
