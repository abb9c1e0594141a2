"""Views: password reset by e-mail (request a link, then set a new password)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from intranet.blueprints.auth import bp
from intranet.blueprints.auth.forms import ForgotPasswordForm, ResetPasswordForm
from intranet.extensions import db, limiter
from intranet.services import password_reset
from intranet.services.errors import ValidationFailed


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.login.data, ip=request.remote_addr or "?")
        db.session.commit()
        # The same answer whether or not the account exists.
        flash(
            _(
                "If an account with this e-mail or phone has an e-mail address, a link to set "
                "a new password is on its way. It works for one hour."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("mail/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if len(token) > 500 or password_reset.user_for_token(token) is None:
        return render_template("mail/reset_invalid.html")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.password.data)
        except ValidationFailed as error:
            db.session.rollback()
            if error.field == "token":
                return render_template("mail/reset_invalid.html")
            form.password.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your password has been changed. Sign in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("mail/reset.html", form=form)
