"""Views: councils and extracurricular groups, with their members."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms import SelectChoice

from intranet import i18n
from intranet.blueprints.councils import bp
from intranet.blueprints.councils.forms import ClubForm, CouncilForm, MemberForm
from intranet.blueprints.structure.common import me, refuse_or_redirect, submit, text_arg
from intranet.extensions import db
from intranet.models import (
    Council,
    CouncilMember,
    ExtracurricularGroup,
    ExtracurricularMember,
    Role,
    User,
)
from intranet.policy import can
from intranet.services import councils, documents
from intranet.web import require


@bp.route("/")
@login_required
def index():
    require("councils.view")
    return render_template(
        "councils/index.html",
        councils=councils.councils_overview(),
        clubs=councils.clubs_overview(),
    )


# --- councils ---------------------------------------------------------------------------------


def _council_form(council: Council | None = None) -> CouncilForm:
    form = CouncilForm(obj=council)
    form.basis_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(d.id, documents.document_label(d)) for d in documents.basis_choices()
    ]
    if request.method == "GET" and council is not None:
        form.kind.data = council.kind.value
    return form


def _council_values(form: CouncilForm) -> dict:
    return {
        "kind": form.kind.data,
        "name": form.name.data or "",
        "description": form.description.data or "",
        "basis_id": form.basis_id.data,
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_council():
    require("councils.manage")
    form = _council_form()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: councils.save_council(me(), None, **_council_values(form)),
            _("The council has been created."),
            lambda c: url_for("councils.council", council_id=c.id),
        )
        if done:
            return done
    return render_template("councils/council_form.html", form=form, council=None)


@bp.route("/<int:council_id>/edit", methods=["GET", "POST"])
@login_required
def edit_council(council_id: int):
    require("councils.manage")
    council = db.get_or_404(Council, council_id)
    form = _council_form(council)
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: councils.save_council(me(), council, **_council_values(form)),
            _("Saved."),
            lambda c: url_for("councils.council", council_id=c.id),
        )
        if done:
            return done
    return render_template("councils/council_form.html", form=form, council=council)


def _member_form(role: Role, form: MemberForm | None = None) -> MemberForm:
    form = form or MemberForm(formdata=None)
    if request.method == "GET":
        form.find.data = text_arg("find")
        form.since.data = i18n.local_today()
    form.user_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(p.id, p.full_name)
        for p in councils.member_candidates(role, form.find.data or "")
    ]
    return form


def _council_page(council: Council, form: MemberForm | None = None, status: int = 200):
    role = councils.MEMBER_ROLE[council.kind]
    return render_template(
        "councils/council.html",
        council=council,
        basis=documents.get_basis(council.basis_id, required=False),
        members=councils.council_members(council),
        form=_member_form(role, form) if can(me(), "councils.manage") else None,
        role=role,
    ), status


@bp.route("/<int:council_id>")
@login_required
def council(council_id: int):
    require("councils.view")
    return _council_page(db.get_or_404(Council, council_id))


@bp.route("/<int:council_id>/members", methods=["POST"])
@login_required
def add_council_member(council_id: int):
    require("councils.manage")
    found = db.get_or_404(Council, council_id)
    form = MemberForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: councils.add_council_member(
                me(),
                found,
                user_id=form.user_id.data,
                position=form.position.data or "",
                since=form.since.data,
            ),
            _("The member has been added."),
            url_for("councils.council", council_id=found.id),
        )
        if done:
            return done
    return _council_page(found, form, 400)


@bp.route("/<int:council_id>/members/<int:member_id>/delete", methods=["POST"])
@login_required
def remove_council_member(council_id: int, member_id: int):
    require("councils.manage")
    member = db.get_or_404(CouncilMember, member_id)
    if member.council_id != council_id:
        abort(404)
    return refuse_or_redirect(
        lambda: councils.remove_council_member(me(), member),
        _("The member has been removed."),
        url_for("councils.council", council_id=council_id),
    )


@bp.route("/<int:council_id>/delete", methods=["POST"])
@login_required
def delete_council(council_id: int):
    require("councils.manage")
    found = db.get_or_404(Council, council_id)
    return refuse_or_redirect(
        lambda: councils.delete_council(me(), found),
        _("The council has been deleted."),
        url_for("councils.index"),
        url_for("councils.council", council_id=council_id),
    )


# --- extracurricular groups ---------------------------------------------------------------------


def _club_form(club: ExtracurricularGroup | None = None) -> ClubForm:
    form = ClubForm(obj=club)
    form.leader_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(p.id, p.full_name) for p in councils.leader_candidates()
    ]
    if request.method == "GET" and club is not None:
        form.kind.data = club.kind.value
    return form


def _club_values(form: ClubForm) -> dict:
    return {
        "kind": form.kind.data,
        "name": form.name.data or "",
        "leader_id": form.leader_id.data,
        "description": form.description.data or "",
        "schedule": form.schedule.data or "",
        "is_active": form.is_active.data,
    }


@bp.route("/clubs/new", methods=["GET", "POST"])
@login_required
def new_club():
    require("clubs.manage")
    form = _club_form()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: councils.save_club(me(), None, **_club_values(form)),
            _("The club has been created."),
            lambda c: url_for("councils.club", club_id=c.id),
        )
        if done:
            return done
    return render_template("councils/club_form.html", form=form, club=None)


@bp.route("/clubs/<int:club_id>/edit", methods=["GET", "POST"])
@login_required
def edit_club(club_id: int):
    require("clubs.manage")
    club = db.get_or_404(ExtracurricularGroup, club_id)
    form = _club_form(club)
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: councils.save_club(me(), club, **_club_values(form)),
            _("Saved."),
            lambda c: url_for("councils.club", club_id=c.id),
        )
        if done:
            return done
    return render_template("councils/club_form.html", form=form, club=club)


def _club_page(club: ExtracurricularGroup, form: MemberForm | None = None, status: int = 200):
    leader = db.session.get(User, club.leader_id) if club.leader_id else None
    return render_template(
        "councils/club.html",
        club=club,
        leader=leader,
        members=councils.club_members(club),
        form=_member_form(Role.STUDENT, form) if can(me(), "clubs.members", club) else None,
    ), status


@bp.route("/clubs/<int:club_id>")
@login_required
def club(club_id: int):
    require("councils.view")
    return _club_page(db.get_or_404(ExtracurricularGroup, club_id))


@bp.route("/clubs/<int:club_id>/members", methods=["POST"])
@login_required
def add_club_member(club_id: int):
    found = db.get_or_404(ExtracurricularGroup, club_id)
    require("clubs.members", found)
    form = MemberForm()
    if form.validate_on_submit():
        done = submit(
            form,
            lambda: councils.add_club_member(
                me(), found, user_id=form.user_id.data, joined_on=form.since.data
            ),
            _("The member has been added."),
            url_for("councils.club", club_id=found.id),
        )
        if done:
            return done
    return _club_page(found, form, 400)


@bp.route("/clubs/<int:club_id>/members/<int:member_id>/delete", methods=["POST"])
@login_required
def remove_club_member(club_id: int, member_id: int):
    found = db.get_or_404(ExtracurricularGroup, club_id)
    require("clubs.members", found)
    member = db.get_or_404(ExtracurricularMember, member_id)
    if member.group_id != club_id:
        abort(404)
    return refuse_or_redirect(
        lambda: councils.remove_club_member(me(), member),
        _("The member has been removed."),
        url_for("councils.club", club_id=club_id),
    )


@bp.route("/clubs/<int:club_id>/delete", methods=["POST"])
@login_required
def delete_club(club_id: int):
    require("clubs.manage")
    found = db.get_or_404(ExtracurricularGroup, club_id)
    return refuse_or_redirect(
        lambda: councils.delete_club(me(), found),
        _("The club has been deleted."),
        url_for("councils.index"),
        url_for("councils.club", club_id=club_id),
    )
