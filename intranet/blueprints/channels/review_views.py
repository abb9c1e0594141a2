"""Views: the work list and work page, review decisions, publication actions, diff, history,
acknowledgements and the text for Sferum."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from intranet import policy
from intranet.blueprints.channels import bp
from intranet.blueprints.channels.forms import (
    ApproveForm,
    CancelForm,
    ConfirmForm,
    DeclineForm,
    RequestChangesForm,
    SferumForm,
    to_local,
    to_utc,
)
from intranet.extensions import db
from intranet.models import Announcement, AnnouncementStatus
from intranet.models.base import utcnow
from intranet.services.channels import diff, publication, reading, review
from intranet.services.errors import Conflict, InvalidTransition, ValidationFailed
from intranet.web import require

S = AnnouncementStatus


@bp.route("/announcements/")
@login_required
def work_list():
    require("channels.draft")
    tab = request.args.get("tab", "mine")
    if tab not in reading.WORK_TABS or (
        tab == "all" and not policy.can(current_user, "channels.oversee")
    ):
        tab = "mine"
    status = request.args.get("status", "")[:24]
    search = request.args.get("q", "")[:100]
    page = db.paginate(
        reading.work_query(current_user, tab, status=status, search=search),
        per_page=30,
        max_per_page=30,
        error_out=False,
    )
    return render_template(
        "channels/work_list.html",
        page=page,
        items=reading.work_rows(list(page.items)),
        tab=tab,
        status=status,
        q=search,
        statuses=list(S),
        awaiting=len(reading.awaiting_review_ids(current_user)),
    )


def _load(announcement_id: int) -> Announcement:
    item = reading.load(announcement_id)
    if item is None:
        abort(404)
    return item


def _work_page(item: Announcement, status: int = 200, **forms):
    round_ = policy.open_round(item)
    approvers = policy.stage_approvers(item, round_) if round_ is not None else None
    current = reading.revision(item)
    live = item.live_revision if item.has_pending_revision else None
    revision_no = round_.revision_no if round_ else item.current_no
    context = {
        "a": item,
        "channel": reading.channel_with_stages(item),
        "current": current,
        "live": live,
        "round": round_,
        "approvers": reading.people(approvers.user_ids) if approvers else [],
        "to_admins": bool(approvers and approvers.to_admins),
        "rounds": reading.review_rounds(item),
        "revisions": reading.revisions(item),
        "approve_form": forms.get("approve_form") or ApproveForm(revision_no=revision_no),
        "changes_form": forms.get("changes_form") or RequestChangesForm(revision_no=revision_no),
        "decline_form": forms.get("decline_form") or DeclineForm(revision_no=revision_no),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "confirm_form": ConfirmForm(),
        "acks": reading.acknowledgement_counts(item)
        if policy.can(current_user, "channels.acks", item)
        else None,
        "S": S,
    }
    return render_template("channels/work.html", **context), status


@bp.route("/announcements/<int:announcement_id>/work")
@login_required
def work(announcement_id: int):
    item = _load(announcement_id)
    require("channels.view_work", item)
    return _work_page(item)


def _back(item: Announcement):
    return redirect(url_for("channels.work", announcement_id=item.id))


def _simple(announcement_id: int, action: str, call: Callable[[Announcement], object], done: str):
    """A button without fields: check, call the service, commit, say what happened."""
    item = _load(announcement_id)
    require(action, item)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Please submit it again."), "warning")
        return _back(item)
    try:
        call(item)
    except (InvalidTransition, Conflict) as error:
        db.session.rollback()
        flash(error.message, "warning")
        return _back(item)
    db.session.commit()
    flash(done, "success")
    return _back(item)


@bp.route("/announcements/<int:announcement_id>/submit", methods=["POST"])
@login_required
def submit(announcement_id: int):
    return _simple(
        announcement_id,
        "channels.submit",
        lambda a: review.submit(a, actor=current_user),
        _("Sent for review."),
    )


@bp.route("/announcements/<int:announcement_id>/withdraw", methods=["POST"])
@login_required
def withdraw(announcement_id: int):
    return _simple(
        announcement_id,
        "channels.withdraw",
        lambda a: review.withdraw(a, actor=current_user),
        _("Withdrawn: the announcement is a draft again."),
    )


@bp.route("/announcements/<int:announcement_id>/urgent", methods=["POST"])
@login_required
def urgent(announcement_id: int):
    return _simple(
        announcement_id,
        "channels.urgent",
        lambda a: publication.publish_urgently(a, actor=current_user),
        _("Published urgently. It will be reviewed afterwards."),
    )


@bp.route("/announcements/<int:announcement_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge(announcement_id: int):
    item = _load(announcement_id)
    require("channels.acknowledge", item)
    if ConfirmForm().validate_on_submit():
        reading.acknowledge(item, actor=current_user)
        db.session.commit()
        flash(_("Thank you: your acknowledgement is recorded."), "success")
    return redirect(url_for("channels.read", announcement_id=item.id))


def _decision(announcement_id: int, form_class, form_key: str, call, done: str):
    item = _load(announcement_id)
    require("channels.review", item)
    form = form_class()
    if form.validate_on_submit():
        try:
            call(item, form)
        except ValidationFailed as error:
            db.session.rollback()
            field = getattr(form, error.field or "comment", form.comment)
            field.errors = [*field.errors, error.message]
        except (InvalidTransition, Conflict) as error:
            db.session.rollback()
            flash(error.message, "warning")
            return _back(item)
        else:
            db.session.commit()
            flash(done, "success")
            return _back(item)
    return _work_page(item, 200, **{form_key: form})


@bp.route("/announcements/<int:announcement_id>/approve", methods=["POST"])
@login_required
def approve(announcement_id: int):
    return _decision(
        announcement_id,
        ApproveForm,
        "approve_form",
        lambda a, f: review.approve(
            a, actor=current_user, revision_no=f.revision_no.data, comment=f.comment.data or ""
        ),
        _("Approved."),
    )


@bp.route("/announcements/<int:announcement_id>/request-changes", methods=["POST"])
@login_required
def request_changes(announcement_id: int):
    return _decision(
        announcement_id,
        RequestChangesForm,
        "changes_form",
        lambda a, f: review.request_changes(
            a,
            actor=current_user,
            revision_no=f.revision_no.data,
            comment=f.comment.data or "",
            suggested_text=f.suggested_text.data or "",
        ),
        _("Changes requested. The author has been told."),
    )


@bp.route("/announcements/<int:announcement_id>/decline", methods=["POST"])
@login_required
def decline(announcement_id: int):
    return _decision(
        announcement_id,
        DeclineForm,
        "decline_form",
        lambda a, f: review.decline(
            a, actor=current_user, revision_no=f.revision_no.data, comment=f.comment.data or ""
        ),
        _("Declined. The author has been told."),
    )


@bp.route("/announcements/<int:announcement_id>/cancel", methods=["POST"])
@login_required
def cancel(announcement_id: int):
    item = _load(announcement_id)
    require("channels.cancel", item)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            publication.cancel(item, actor=current_user, reason=form.reason.data or "")
        except ValidationFailed as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, error.message]
        except (InvalidTransition, Conflict) as error:
            db.session.rollback()
            flash(error.message, "warning")
            return _back(item)
        else:
            db.session.commit()
            flash(_("Cancelled. Readers see the mark and the reason."), "success")
            return _back(item)
    return _work_page(item, 200, cancel_form=form)


@bp.route("/announcements/<int:announcement_id>/diff")
@login_required
def compare(announcement_id: int):
    item = _load(announcement_id)
    require("channels.view_work", item)
    numbers = list(range(1, item.current_no + 1))
    default_old = item.live_no if item.has_pending_revision else max(1, item.current_no - 1)
    old_no = request.args.get("a", default_old, type=int)
    new_no = request.args.get("b", item.current_no, type=int)
    if old_no not in numbers or new_no not in numbers:
        abort(404)
    comparison = diff.compare(reading.revision(item, old_no), reading.revision(item, new_no))
    return render_template("channels/diff.html", a=item, comparison=comparison, numbers=numbers)


@bp.route("/announcements/<int:announcement_id>/history")
@login_required
def history(announcement_id: int):
    item = _load(announcement_id)
    require("channels.view_work", item)
    page = db.paginate(reading.history(item), per_page=100, max_per_page=100, error_out=False)
    return render_template("channels/history.html", a=item, page=page)


@bp.route("/announcements/<int:announcement_id>/acknowledgements")
@login_required
def acknowledgements(announcement_id: int):
    item = _load(announcement_id)
    require("channels.acks", item)
    which = request.args.get("which", "")
    which = which if which in ("yes", "no") else ""
    page = db.paginate(
        reading.acknowledgement_report(item, which=which),
        per_page=50,
        max_per_page=50,
        error_out=False,
    )
    done, total = reading.acknowledgement_counts(item)
    times = reading.acknowledged_at(item, [p.id for p in page.items])
    return render_template(
        "channels/acknowledgements.html",
        a=item,
        page=page,
        times=times,
        which=which,
        done=done,
        total=total,
    )


@bp.route("/announcements/<int:announcement_id>/sferum", methods=["GET", "POST"])
@login_required
def sferum(announcement_id: int):
    item = _load(announcement_id)
    require("channels.sferum", item)
    form = SferumForm()
    if request.method == "GET":
        form.url.data = item.sferum_url
        form.posted_at.data = to_local(item.sferum_posted_at or utcnow())
    if form.validate_on_submit():
        try:
            publication.record_sferum_post(
                item, actor=current_user, url=form.url.data, posted_at=to_utc(form.posted_at.data)
            )
        except ValidationFailed as error:
            db.session.rollback()
            field = getattr(form, error.field or "url", form.url)
            field.errors = [*field.errors, error.message]
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            db.session.commit()
            flash(_("The post is recorded."), "success")
            return redirect(url_for("channels.sferum", announcement_id=item.id))
    return render_template(
        "channels/sferum.html",
        a=item,
        text=publication.sferum_text(item),
        form=form,
        channel=item.channel,
    )
