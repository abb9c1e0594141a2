"""Views: «Мои персональные данные» (consents, export, withdrawal), an admin's export of a
person's data, and the overview of withdrawals and of who is due for anonymisation."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, logout_user

from intranet.blueprints.personal_data import bp
from intranet.blueprints.personal_data.forms import WithdrawForm
from intranet.blueprints.structure.common import me, page_size
from intranet.extensions import db
from intranet.models import User
from intranet.services import personal_data
from intranet.services.errors import DomainError
from intranet.web import require


def _zip(name: str, payload: bytes) -> Response:
    return Response(
        payload,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/profile/personal-data")
@login_required
def mine():
    require("personal_data.own")
    person = me()
    return render_template(
        "personal_data/mine.html",
        consents=personal_data.consents_of(person),
        active=personal_data.has_active_consent(person),
        withdrawal=personal_data.withdrawal_text(),
    )


@bp.route("/profile/personal-data/export", methods=["POST"])
@login_required
def export_mine():
    require("personal_data.own")
    name, payload = personal_data.export_archive(me(), actor=me())
    db.session.commit()
    return _zip(name, payload)


@bp.route("/profile/personal-data/withdraw", methods=["GET", "POST"])
@login_required
def withdraw():
    require("personal_data.own")
    person = me()
    if not personal_data.has_active_consent(person):
        flash(_("There is no consent in force to withdraw."), "warning")
        return redirect(url_for("personal_data.mine"))
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            personal_data.withdraw_consent(person)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
            return redirect(url_for("personal_data.mine"))
        db.session.commit()
        logout_user()
        session.clear()
        flash(
            _(
                "Your consent has been withdrawn and your account disabled. Your data will be "
                "anonymised in %(period)s.",
                period=personal_data.withdrawal_text(),
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template(
        "personal_data/withdraw.html",
        form=form,
        withdrawal=personal_data.withdrawal_text(),
    )


@bp.route("/people/<int:person_id>/personal-data/export", methods=["POST"])
@login_required
def export_person(person_id: int):
    require("personal_data.export")
    person = db.get_or_404(User, person_id)
    name, payload = personal_data.export_archive(person, actor=me())
    db.session.commit()
    return _zip(name, payload)


@bp.route("/admin/personal-data")
@login_required
def overview():
    require("personal_data.oversee")
    withdrawals = db.session.execute(personal_data.withdrawals_query().limit(page_size())).all()
    return render_template(
        "personal_data/overview.html",
        withdrawals=withdrawals,
        due=personal_data.due_for_anonymisation(),
        retention=personal_data.retention_text(),
        withdrawal=personal_data.withdrawal_text(),
    )
