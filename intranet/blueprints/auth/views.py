"""Views: sign in, sign out (POST only), sign out everywhere, profile, password."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from intranet.blueprints.auth import bp
from intranet.blueprints.auth.forms import ConfirmForm, LoginForm, PasswordChangeForm, ProfileForm
from intranet.blueprints.auth.twofactor import complete_login, second_step
from intranet.extensions import db
from intranet.services import accounts
from intranet.services.errors import ValidationFailed
from intranet.web import safe_next


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.login.data, form.password.data, ip=request.remote_addr or "?"
            )
        except ValidationFailed as error:
            db.session.rollback()
            form.password.errors.append(error.message)
            return render_template("auth/login.html", form=form), 200
        next_url = safe_next(request.args.get("next"))
        second = second_step(user, next_url)
        if second is not None:
            return second  # the password was right; not signed in until the code is
        complete_login(user)
        return redirect(next_url or url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    accounts.close_login_session(session.get("sid"))
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    form = ConfirmForm()
    if form.validate_on_submit():
        accounts.end_all_sessions(current_user, actor=current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You have signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if request.method == "GET" and current_user.phone:
        from intranet.services.phones import format_phone

        form.phone.data = format_phone(current_user.phone)
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user,
                last_name=form.last_name.data,
                first_name=form.first_name.data,
                middle_name=form.middle_name.data or "",
                email=form.email.data,
                phone=form.phone.data,
                locale=form.locale.data,
            )
        except ValidationFailed as error:
            db.session.rollback()
            getattr(form, error.field or "last_name").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Profile saved."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html",
        form=form,
        password_form=PasswordChangeForm(prefix="pw"),
        confirm_form=ConfirmForm(),
    )


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm(prefix="pw")
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, current=form.current_password.data, new=form.password.data
            )
        except ValidationFailed as error:
            db.session.rollback()
            field = "current_password" if error.field == "current_password" else "password"
            getattr(form, field).errors.append(error.message)
        else:
            user = current_user._get_current_object()
            sid = accounts.open_login_session(
                user, ip=request.remote_addr, user_agent=request.user_agent.string
            )
            db.session.commit()
            login_user(user)  # this browser keeps a session under the new epoch
            session["sid"] = sid
            flash(_("Password changed. Other devices have been signed out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form)


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language (for visitors; signed-in users keep it in the profile)."""
    form = ConfirmForm()
    locale = request.form.get("locale", "ru")
    if form.validate_on_submit() and locale in ("ru", "en"):
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))
