"""Views anyone may open: joining by an invitation link, activating an account, the
personal-data policy."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.blueprints.onboarding import bp
from intranet.blueprints.onboarding.forms import AcceptForm, ActivateForm, RegisterForm
from intranet.blueprints.structure.common import me, show_error
from intranet.extensions import db, limiter
from intranet.labels import role_label
from intranet.services import onboarding
from intranet.services.errors import Conflict, ValidationFailed
from intranet.services.onboarding import LinkState, LinkUnusable

STATUS = {LinkState.INVALID: 404}


def link_problem(state: LinkState):
    """A clear page for a link that cannot be used: unknown, expired, revoked or used up."""
    return render_template("onboarding/link_problem.html", state=state.value), STATUS.get(
        state, 410
    )


def _target(invitation) -> str:
    if invitation.student is not None:
        return invitation.student.full_name
    if invitation.group is not None:
        return invitation.group.name
    if invitation.department is not None:
        return invitation.department.name
    return ""


@bp.route("/join/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def join(token: str):
    invitation, state = onboarding.resolve(token)
    if state is not LinkState.VALID:
        return link_problem(state)
    invitation = onboarding.load(invitation.id)
    context = {
        "invitation": invitation,
        "role": role_label(invitation.role),
        "target": _target(invitation),
        "token": token,
    }
    if current_user.is_authenticated:
        return render_template("onboarding/join_signed_in.html", form=AcceptForm(), **context)
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                onboarding.register(
                    token,
                    last_name=form.last_name.data,
                    first_name=form.first_name.data,
                    middle_name=form.middle_name.data or "",
                    email=form.email.data,
                    phone=form.phone.data,
                    password=form.password.data,
                    consent=form.consent.data,
                    relation=form.relation.data or "",
                )
        except LinkUnusable as error:
            return link_problem(error.state)
        except ValidationFailed as error:
            show_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for("onboarding.joined"))
    return render_template("onboarding/join.html", form=form, **context)


@bp.route("/join/<token>/accept", methods=["POST"])
@limiter.limit("30 per minute")
def accept(token: str):
    """A signed-in person joins by the link with their account."""
    if not current_user.is_authenticated:
        return redirect(url_for("onboarding.join", token=token))
    invitation, state = onboarding.resolve(token)
    if state is not LinkState.VALID:
        return link_problem(state)
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                onboarding.accept_with_account(
                    token, me(), relation=form.relation.data or "", consent=form.consent.data
                )
        except LinkUnusable as error:
            return link_problem(error.state)
        except (ValidationFailed, Conflict) as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your request has been sent. You will be told of the decision."), "success")
            return redirect(url_for("onboarding.joined"))
    invitation = onboarding.load(invitation.id)
    return render_template(
        "onboarding/join_signed_in.html",
        form=form,
        invitation=invitation,
        role=role_label(invitation.role),
        target=_target(invitation),
        token=token,
    ), 200


@bp.route("/join/done")
def joined():
    requests = onboarding.my_requests(me()) if current_user.is_authenticated else []
    return render_template("onboarding/joined.html", requests=requests)


@bp.route("/privacy")
def privacy():
    from intranet.services import personal_data

    return render_template(
        "onboarding/privacy.html",
        version=onboarding.POLICY_VERSION,
        history=onboarding.POLICY_HISTORY,
        retention=personal_data.retention_text(),
        withdrawal=personal_data.withdrawal_text(),
    )


@bp.route("/activate/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def activate(token: str):
    person = onboarding.user_for_activation(token)
    if person is None:
        return render_template("onboarding/link_problem.html", state="activation"), 404
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                onboarding.activate(token, password=form.password.data, consent=form.consent.data)
        except ValidationFailed as error:
            if error.field == "token":
                return render_template("onboarding/link_problem.html", state="activation"), 404
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your account is active. Sign in with your new password."), "success")
            return redirect(url_for("auth.login"))
    return render_template("onboarding/activate.html", form=form, person=person)
