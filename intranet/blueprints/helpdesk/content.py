"""Views for the admins' help-desk content: incidents, help articles, canned replies, reports."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from intranet.blueprints.helpdesk import bp
from intranet.blueprints.helpdesk.forms import (
    ArticleForm,
    CannedForm,
    ConfirmForm,
    IncidentAnswerForm,
    IncidentForm,
    IncidentTicketsForm,
    ReportForm,
)
from intranet.bounds import day_in_range
from intranet.extensions import db
from intranet.i18n import local_today
from intranet.models.helpdesk import CannedReply, Category, HelpArticle, Incident, Ticket
from intranet.services.csvexport import csv_response
from intranet.services.errors import DomainError
from intranet.services.helpdesk import incidents, knowledge, reports
from intranet.services.helpdesk.categories import CATEGORIES
from intranet.web import require


def _form_error(form, error: DomainError) -> None:
    db.session.rollback()
    target = getattr(form, error.field, None) if getattr(error, "field", None) else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        flash(error.message, "danger")


# --- incidents -------------------------------------------------------------------------------


@bp.route("/incidents")
@login_required
def incident_list():
    require("helpdesk.manage")
    return render_template("helpdesk/incidents.html", rows=incidents.incidents_with_counts())


@bp.route("/incidents/new", methods=["GET", "POST"])
@login_required
def incident_new():
    require("helpdesk.manage")
    form = IncidentForm()
    if form.validate_on_submit():
        try:
            incident = incidents.save_incident(
                None,
                actor=current_user,
                title=form.title.data,
                description=form.description.data,
                show_banner=form.show_banner.data,
                banner_text=form.banner_text.data,
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("Incident created."), "success")
            return redirect(url_for("helpdesk.incident", incident_id=incident.id))
    return render_template("helpdesk/incident_form.html", form=form, incident=None)


@bp.route("/incidents/<int:incident_id>")
@login_required
def incident(incident_id: int):
    require("helpdesk.manage")
    item = db.get_or_404(Incident, incident_id)
    linked = list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.incident_id == item.id)
            .order_by(Ticket.id.desc())
            .limit(500)
        )
    )
    return render_template(
        "helpdesk/incident.html",
        incident=item,
        tickets=linked,
        link_form=IncidentTicketsForm(),
        answer_form=IncidentAnswerForm(),
        confirm_form=ConfirmForm(),
    )


@bp.route("/incidents/<int:incident_id>/edit", methods=["GET", "POST"])
@login_required
def incident_edit(incident_id: int):
    require("helpdesk.manage")
    item = db.get_or_404(Incident, incident_id)
    form = IncidentForm(obj=item)
    if form.validate_on_submit():
        try:
            incidents.save_incident(
                item,
                actor=current_user,
                title=form.title.data,
                description=form.description.data,
                show_banner=form.show_banner.data,
                banner_text=form.banner_text.data,
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("The incident is saved."), "success")
            return redirect(url_for("helpdesk.incident", incident_id=item.id))
    return render_template("helpdesk/incident_form.html", form=form, incident=item)


@bp.route("/incidents/<int:incident_id>/link", methods=["POST"])
@login_required
def incident_link(incident_id: int):
    require("helpdesk.manage")
    item = db.get_or_404(Incident, incident_id)
    form = IncidentTicketsForm()
    if form.validate_on_submit():
        numbers = re.split(r"[\s,;]+", form.numbers.data or "")
        try:
            found, unknown = incidents.link_tickets(item, numbers, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            if found:
                flash(
                    ngettext("%(num)d ticket linked.", "%(num)d tickets linked.", len(found)),
                    "success",
                )
            if unknown:
                flash(_("No such tickets: %(list)s.", list=", ".join(unknown[:20])), "warning")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(url_for("helpdesk.incident", incident_id=incident_id))


@bp.route("/incidents/<int:incident_id>/unlink/<int:ticket_id>", methods=["POST"])
@login_required
def incident_unlink(incident_id: int, ticket_id: int):
    require("helpdesk.manage")
    ticket = db.get_or_404(Ticket, ticket_id)
    if ConfirmForm().validate_on_submit() and ticket.incident_id == incident_id:
        incidents.unlink_ticket(ticket, actor=current_user)
        db.session.commit()
        flash(_("The ticket is no longer linked."), "success")
    return redirect(url_for("helpdesk.incident", incident_id=incident_id))


@bp.route("/incidents/<int:incident_id>/answer", methods=["POST"])
@login_required
def incident_answer(incident_id: int):
    require("helpdesk.manage")
    item = db.get_or_404(Incident, incident_id)
    form = IncidentAnswerForm()
    if form.validate_on_submit():
        try:
            count = incidents.answer_all(
                item, actor=current_user, body=form.body.data, resolve=bool(form.resolve.data)
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(
                ngettext("%(num)d ticket answered.", "%(num)d tickets answered.", count),
                "success",
            )
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(url_for("helpdesk.incident", incident_id=incident_id))


@bp.route("/incidents/<int:incident_id>/resolve", methods=["POST"])
@login_required
def incident_resolve(incident_id: int):
    require("helpdesk.manage")
    item = db.get_or_404(Incident, incident_id)
    if ConfirmForm().validate_on_submit():
        try:
            incidents.resolve_incident(item, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("The incident is resolved and its banner is gone."), "success")
    return redirect(url_for("helpdesk.incident", incident_id=incident_id))


# --- help articles ---------------------------------------------------------------------------


@bp.route("/articles")
@login_required
def article_list():
    require("helpdesk.articles")
    order = {c: i for i, c in enumerate(CATEGORIES)}
    items = sorted(
        knowledge.all_articles(),
        key=lambda a: (order.get(a.category, -1), a.position, a.title_key),
    )
    return render_template("helpdesk/articles.html", articles=items, confirm_form=ConfirmForm())


def _save_article(item: HelpArticle | None):
    form = ArticleForm(obj=item)
    if item is not None and request.method == "GET":
        form.category.data = item.category.value if item.category else ""
    if form.validate_on_submit():
        category = form.category.data
        try:
            saved = knowledge.save_article(
                item,
                actor=current_user,
                title=form.title.data,
                body=form.body.data,
                category=Category(category) if category in Category._value2member_map_ else None,
                is_published=form.is_published.data,
                position=form.position.data or 0,
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("Article saved."), "success")
            return redirect(url_for("helpdesk.article", article_id=saved.id))
    preview = knowledge.render(form.body.data or "") if request.method == "POST" else None
    return render_template("helpdesk/article_form.html", form=form, article=item, preview=preview)


@bp.route("/articles/new", methods=["GET", "POST"])
@login_required
def article_new():
    require("helpdesk.articles")
    return _save_article(None)


@bp.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
@login_required
def article_edit(article_id: int):
    require("helpdesk.articles")
    return _save_article(db.get_or_404(HelpArticle, article_id))


@bp.route("/articles/<int:article_id>/delete", methods=["POST"])
@login_required
def article_delete(article_id: int):
    require("helpdesk.articles")
    item = db.get_or_404(HelpArticle, article_id)
    if ConfirmForm().validate_on_submit():
        knowledge.delete_article(item, actor=current_user)
        db.session.commit()
        flash(_("Article deleted."), "success")
    return redirect(url_for("helpdesk.article_list"))


# --- canned replies --------------------------------------------------------------------------


@bp.route("/canned")
@login_required
def canned_list():
    require("helpdesk.manage")
    return render_template(
        "helpdesk/canned.html", replies=knowledge.canned_replies(), confirm_form=ConfirmForm()
    )


def _save_canned(item: CannedReply | None):
    form = CannedForm(obj=item)
    if form.validate_on_submit():
        try:
            knowledge.save_canned(
                item, actor=current_user, title=form.title.data, body=form.body.data
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("Canned reply saved."), "success")
            return redirect(url_for("helpdesk.canned_list"))
    return render_template("helpdesk/canned_form.html", form=form, reply=item)


@bp.route("/canned/new", methods=["GET", "POST"])
@login_required
def canned_new():
    require("helpdesk.manage")
    return _save_canned(None)


@bp.route("/canned/<int:reply_id>/edit", methods=["GET", "POST"])
@login_required
def canned_edit(reply_id: int):
    require("helpdesk.manage")
    return _save_canned(db.get_or_404(CannedReply, reply_id))


@bp.route("/canned/<int:reply_id>/delete", methods=["POST"])
@login_required
def canned_delete(reply_id: int):
    require("helpdesk.manage")
    item = db.get_or_404(CannedReply, reply_id)
    if ConfirmForm().validate_on_submit():
        knowledge.delete_canned(item, actor=current_user)
        db.session.commit()
        flash(_("Canned reply deleted."), "success")
    return redirect(url_for("helpdesk.canned_list"))


# --- reports ---------------------------------------------------------------------------------


def _period(form: ReportForm):
    today = local_today()
    start = form.start.data if day_in_range(form.start.data) else today - timedelta(days=29)
    end = form.end.data if day_in_range(form.end.data) else today
    if end < start:
        start, end = end, start
    if (end - start).days > 3 * 366:
        start = end - timedelta(days=3 * 366)
    return start, end


@bp.route("/reports")
@login_required
def report():
    require("helpdesk.reports")
    form = ReportForm(request.args)
    form.validate()
    start, end = _period(form)
    form.start.data, form.end.data = start, end
    return render_template(
        "helpdesk/reports.html",
        form=form,
        report=reports.build(start, end),
        statuses=reports.STATUSES,
    )


@bp.route("/reports.csv")
@login_required
def report_csv():
    require("helpdesk.reports")
    form = ReportForm(request.args)
    form.validate()
    start, end = _period(form)
    return csv_response(
        f"helpdesk-{start.isoformat()}-{end.isoformat()}.csv",
        reports.CSV_HEADER,
        reports.csv_rows(start, end),
    )
