"""Views: which kinds of e-mail a person receives (part of the profile)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from intranet.blueprints.auth import bp
from intranet.blueprints.auth.forms import mail_settings_form
from intranet.extensions import db
from intranet.services import mail


@bp.route("/profile/mail", methods=["GET", "POST"])
@login_required
def mail_settings():
    user = current_user._get_current_object()
    kinds = mail.kinds_for(user)
    current = mail.preferences(user)
    form = mail_settings_form(kinds, current)
    if form.validate_on_submit():
        choices = {key: bool(getattr(form, name).data) for key, name in form.kind_fields.items()}
        mail.save_preferences(user, choices)
        db.session.commit()
        flash(_("E-mail settings saved."), "success")
        return redirect(url_for("auth.mail_settings"))
    return render_template(
        "mail/settings.html",
        form=form,
        required=[k for k in kinds if not k.optional],
        has_email=bool(user.email),
    )
