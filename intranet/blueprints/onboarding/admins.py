"""Views: platform administrators — the head appoints the main one, the main one the others."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms import SelectChoice

from intranet.blueprints.onboarding import bp
from intranet.blueprints.onboarding.forms import AddAdminForm, AppointMainForm
from intranet.blueprints.structure.common import me, refuse_or_redirect, submit
from intranet.extensions import db
from intranet.models import User
from intranet.services import documents, onboarding
from intranet.web import require


def _forms(roster, main_form=None, add_form=None) -> dict:
    bases = documents.basis_choices()
    basis_choices = [SelectChoice("", "—")] + [
        SelectChoice(d.id, documents.document_label(d)) for d in bases
    ]
    main_form = main_form or AppointMainForm(formdata=None)
    main_form.person_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(p.id, p.full_name) for p in roster.admins + roster.candidates
    ]
    main_form.basis_id.choices = basis_choices
    add_form = add_form or AddAdminForm(formdata=None)
    add_form.person_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(p.id, p.full_name) for p in roster.candidates
    ]
    add_form.basis_id.choices = basis_choices
    return {"main_form": main_form, "add_form": add_form}


def _page(roster, status: int = 200, **forms):
    return render_template(
        "onboarding/admins.html", roster=roster, **_forms(roster, **forms)
    ), status


@bp.route("/onboarding/admins")
@login_required
def admins():
    require("admins.view")
    return _page(onboarding.roster())


@bp.route("/onboarding/admins/main", methods=["POST"])
@login_required
def appoint_main():
    require("admins.appoint_main")
    roster = onboarding.roster()
    form = _forms(roster, main_form=AppointMainForm())["main_form"]
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: onboarding.appoint_main(
                me(),
                person_id=form.person_id.data,
                basis_id=form.basis_id.data,
                comment=form.comment.data or "",
            ),
            _("The main administrator has been appointed."),
            url_for("onboarding.admins"),
        )
        if done:
            return done
    return _page(roster, 400, main_form=form)


@bp.route("/onboarding/admins/add", methods=["POST"])
@login_required
def add_admin():
    roster = onboarding.roster()
    require("admins.manage", roster)
    form = _forms(roster, add_form=AddAdminForm())["add_form"]
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: onboarding.add_admin(
                me(),
                person_id=form.person_id.data,
                basis_id=form.basis_id.data,
                comment=form.comment.data or "",
            ),
            _("The administrator has been appointed."),
            url_for("onboarding.admins"),
        )
        if done:
            return done
    return _page(roster, 400, add_form=form)


@bp.route("/onboarding/admins/<int:person_id>/remove", methods=["POST"])
@login_required
def remove_admin(person_id: int):
    person = db.get_or_404(User, person_id)
    require("admins.manage", person)
    return refuse_or_redirect(
        lambda: onboarding.remove_admin(me(), person),
        _("The administrator's rights have been removed."),
        url_for("onboarding.admins"),
    )
