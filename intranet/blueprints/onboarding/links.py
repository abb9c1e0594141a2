"""Views: invitation links (list, create, show with QR, revoke, reissue), parent links,
personal sign-in links and activation sheets."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from wtforms import SelectChoice

from intranet import i18n, policy
from intranet.blueprints.onboarding import bp
from intranet.blueprints.onboarding.forms import (
    InvitationForm,
    MailInvitationForm,
    ParentLinkForm,
    SheetForm,
)
from intranet.blueprints.structure.common import (
    FORM_ERRORS,
    me,
    page_size,
    refuse_or_redirect,
    submit,
    text_arg,
)
from intranet.extensions import db
from intranet.labels import role_label
from intranet.models import Invitation, Role, StudyGroup, User
from intranet.models.base import utcnow
from intranet.services import onboarding, structure
from intranet.web import require

STATES = ("active", "expired", "used_up", "revoked", "all")


def _filters() -> onboarding.InvitationFilters:
    state = text_arg("state", 10)
    try:
        role = Role(text_arg("role", 10)) if text_arg("role", 10) else None
    except ValueError:
        role = None
    return onboarding.InvitationFilters(
        state=state if state in STATES else "active", role=role, mine=text_arg("mine", 1) == "1"
    )


@bp.route("/onboarding/")
@login_required
def invitations():
    require("onboarding.invitations")
    user, today = me(), i18n.local_today()
    filters = _filters()
    page = db.paginate(
        onboarding.invitations_query(user, filters), per_page=page_size(), error_out=False
    )
    return render_template(
        "onboarding/invitations.html",
        page=page,
        filters=filters,
        states=STATES,
        roles=onboarding.ADMIN_ROLES + (Role.PARENT,),
        now=utcnow(),
        state_of=onboarding.state_of,
        pending=onboarding.pending_count(user, today),
        sheet_groups=onboarding.sheet_groups(user, today),
    )


def _invitation_form() -> InvitationForm:
    user = me()
    form = InvitationForm()
    form.role.choices = [SelectChoice(r.value, role_label(r)) for r in onboarding.roles_for(user)]
    groups = onboarding.groups_for(user)
    form.group_id.choices = [SelectChoice("", "—")] + [SelectChoice(g.id, g.name) for g in groups]
    if Role.ADMIN in policy.effective_roles(user):
        form.department_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(d.id, d.name) for d in structure.all_departments()
        ]
    else:
        form.department_id.choices = [SelectChoice("", "—")]
    return form


@bp.route("/onboarding/invitations/new", methods=["GET", "POST"])
@login_required
def new_invitation():
    require("onboarding.invite")
    form = _invitation_form()
    if request.method == "GET":
        form.group_id.data = request.args.get("group", type=int)
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: onboarding.create_invitation(
                me(),
                role=form.role.data,
                group_id=form.group_id.data,
                department_id=form.department_id.data,
                days=form.days.data,
                max_uses=form.max_uses.data,
                note=form.note.data or "",
            ),
            _("The link is ready: copy it or print its QR code."),
            lambda invitation: url_for("onboarding.invitation", invitation_id=invitation.id),
        )
        if done:
            return done
    return render_template("onboarding/invitation_form.html", form=form)


@bp.route("/onboarding/parent-links/new", methods=["GET", "POST"])
@login_required
def new_parent_link():
    require("onboarding.invite_parent")
    user = me()
    form = ParentLinkForm()
    students = onboarding.parent_link_students(user, i18n.local_today())
    form.student_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(s.id, s.full_name) for s in students
    ]
    if request.method == "GET":
        form.student_id.data = request.args.get("student", type=int) or (
            students[0].id if len(students) == 1 else None
        )
    if form.validate_on_submit():
        student = db.session.get(User, form.student_id.data) if form.student_id.data else None
        if student is None or not policy.can(user, "onboarding.invite_parent", student):
            form.student_id.errors.append(_("Choose the student."))
        else:
            done = submit(
                form,
                lambda: onboarding.create_parent_link(user, student, note=form.note.data or ""),
                _("The link for the parent is ready. It works once."),
                lambda invitation: url_for("onboarding.invitation", invitation_id=invitation.id),
            )
            if done:
                return done
    return render_template("onboarding/parent_link_form.html", form=form, students=students)


def _own_invitation(invitation_id: int) -> Invitation:
    invitation = onboarding.load(invitation_id)
    if invitation is None:
        abort(404)
    require("onboarding.manage_invitation", invitation)
    return invitation


@bp.route("/onboarding/invitations/<int:invitation_id>")
@login_required
def invitation(invitation_id: int):
    return _invitation_page(_own_invitation(invitation_id), MailInvitationForm(formdata=None))


def _invitation_page(invitation: Invitation, mail_form: MailInvitationForm, status: int = 200):
    state = onboarding.state_of(invitation)
    url = onboarding.join_url(invitation)
    return render_template(
        "onboarding/invitation.html",
        invitation=invitation,
        state=state.value,
        url=url,
        qr=onboarding.qr_data_uri(url) if state is onboarding.LinkState.VALID else None,
        print_view=request.args.get("print") == "1",
        mail_form=mail_form,
    ), status


@bp.route("/onboarding/invitations/<int:invitation_id>/mail", methods=["POST"])
@login_required
def mail_invitation(invitation_id: int):
    """E-mail the link to people who have an address (the outbox sends it)."""
    invitation = _own_invitation(invitation_id)
    form = MailInvitationForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: onboarding.mail_invitation(
                invitation, me(), emails=form.emails.data, note=form.note.data or ""
            ),
            _("The link is on its way by e-mail."),
            url_for("onboarding.invitation", invitation_id=invitation.id),
        )
        if done is not None:
            return done
    return _invitation_page(invitation, form, 400)


@bp.route("/onboarding/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke(invitation_id: int):
    invitation = _own_invitation(invitation_id)
    return refuse_or_redirect(
        lambda: onboarding.revoke(invitation, me()),
        _("The link has been revoked."),
        url_for("onboarding.invitation", invitation_id=invitation.id),
    )


@bp.route("/onboarding/invitations/<int:invitation_id>/reissue", methods=["POST"])
@login_required
def reissue(invitation_id: int):
    invitation = _own_invitation(invitation_id)
    return refuse_or_redirect(
        lambda: onboarding.reissue(invitation, me()),
        _("A new link has been made; the old one no longer works."),
        url_for("onboarding.invitation", invitation_id=invitation.id),
    )


# --- personal sign-in links and activation sheets --------------------------------------------


def _person(person_id: int) -> User:
    person = db.get_or_404(User, person_id)
    require("onboarding.issue_link", person)
    return person


@bp.route("/onboarding/people/<int:person_id>/link", methods=["GET", "POST"])
@login_required
def person_link(person_id: int):
    """GET: what can be done; POST: issue a one-time link and show it with its QR code."""
    person = _person(person_id)
    if request.method == "POST":
        form = SheetForm()
        if form.validate_on_submit():
            try:
                with db.session.begin_nested():
                    link = onboarding.sign_in_link(person, me())
            except FORM_ERRORS as error:
                flash(error.message, "error")
            else:
                db.session.commit()
                return render_template("onboarding/person_link_issued.html", link=link)
    return render_template("onboarding/person_link.html", person=person, form=SheetForm())


@bp.route("/onboarding/people/<int:person_id>/activation-mail", methods=["POST"])
@login_required
def activation_mail(person_id: int):
    person = _person(person_id)
    return refuse_or_redirect(
        lambda: onboarding.send_activation_mail(person, me()),
        _("The activation link has been sent by e-mail."),
        url_for("onboarding.person_link", person_id=person.id),
    )


def _sheet_group(group_id: int) -> StudyGroup:
    group = db.get_or_404(StudyGroup, group_id)
    require("onboarding.activation_sheet", group)
    return group


@bp.route("/onboarding/groups/<int:group_id>/activation")
@login_required
def activation(group_id: int):
    group = _sheet_group(group_id)
    students, parents = onboarding.not_activated(group, i18n.local_today())
    return render_template(
        "onboarding/activation.html",
        group=group,
        students=students,
        parents=parents,
        form=SheetForm(),
    )


@bp.route("/onboarding/groups/<int:group_id>/activation/sheet", methods=["POST"])
@login_required
def activation_sheet(group_id: int):
    """The printable sheet: one QR code per person, to cut and hand out."""
    group = _sheet_group(group_id)
    form = SheetForm()
    back = url_for("onboarding.activation", group_id=group.id)
    if not form.validate_on_submit():
        flash(_("The form has expired. Please submit it again."), "error")
        return redirect(back)
    try:
        with db.session.begin_nested():
            entries = onboarding.activation_sheet(
                group, me(), i18n.local_today(), person_ids=set(form.people.data or []) or None
            )
    except FORM_ERRORS as error:
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    return render_template(
        "onboarding/activation_sheet.html",
        group=group,
        entries=entries,
        until=onboarding.works_until(utcnow()),
    )


@bp.route("/onboarding/groups/<int:group_id>/activation/mail", methods=["POST"])
@login_required
def activation_mails(group_id: int):
    group = _sheet_group(group_id)
    back = url_for("onboarding.activation", group_id=group.id)
    form = SheetForm()
    if not form.validate_on_submit():
        return redirect(back)
    try:
        with db.session.begin_nested():
            sent = onboarding.mail_activation_links(group, me(), i18n.local_today())
    except FORM_ERRORS as error:
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    if sent:
        message = ngettext(
            "%(num)d activation link sent by e-mail.",
            "%(num)d activation links sent by e-mail.",
            sent,
        )
    else:
        message = _("Nobody without a password has an e-mail address: print the QR codes instead.")
    flash(message, "success" if sent else "info")
    return redirect(back)
