"""Two-factor sign-in: the code after the password, setting it up, recovery codes, turning it off.

After a right password a person with two-factor sign-in on (or obliged to have it) is only
half signed in: the session holds who they are and when the password was checked, nothing
else, and Flask-Login knows nobody, so every page but this step treats them as a visitor.
The step lasts TWO_FACTOR_PENDING_SECONDS; wrong codes are counted in the throttle storage
(per account and per address), and when the limit is used up the step ends and the person
starts again with the password.
"""

from __future__ import annotations

import click
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from intranet.blueprints.auth import bp
from intranet.blueprints.auth.forms import (
    ConfirmForm,
    DisableTwoFactorForm,
    EnrolCodeForm,
    RecoveryCodesForm,
    SecondFactorForm,
)
from intranet.extensions import db
from intranet.models import User
from intranet.models.base import utcnow
from intranet.services import accounts, audit, signin
from intranet.services.errors import ValidationFailed
from intranet.web import require

PENDING = "signin_pending"
VERIFIED = "second_factor"  # this session was opened with a code
CODE, SETUP = "code", "setup"


# --- signing this browser in ----------------------------------------------------------------


def complete_login(user: User, *, second_factor: bool = False) -> None:
    """Sign this browser in: a new session record, a fresh cookie (no fixation). The last
    sign-in is recorded here, after the code when one is asked for, not at the password."""
    user.last_login_at = utcnow()
    sid = accounts.open_login_session(
        user, ip=request.remote_addr, user_agent=request.user_agent.string
    )
    db.session.commit()
    session.clear()
    login_user(user)
    session["sid"] = sid
    session.permanent = True
    if second_factor:
        session[VERIFIED] = True


def keep_this_browser(user: User, *, second_factor: bool = False) -> None:
    """After every session of the user was ended: this browser goes on under the new epoch."""
    sid = accounts.open_login_session(
        user, ip=request.remote_addr, user_agent=request.user_agent.string
    )
    db.session.commit()
    login_user(user)
    session["sid"] = sid
    if second_factor:
        session[VERIFIED] = True


@bp.before_app_request
def _second_factor_required():
    """A session opened without a code (before the requirement was turned on, or before the
    person was given a role that requires it) ends at its next request; signing in again
    leads through setting it up. Costs nothing for sessions that used a code, visitors and
    the roles that are not required to have it (the roles are loaded with the user)."""
    if not current_app.config.get("REQUIRE_2FA_FOR") or session.get(VERIFIED):
        return None
    if "_user_id" not in session or request.endpoint in ("static", "auth.logout"):
        return None
    if not current_user.is_authenticated or not signin.is_required(current_user):
        return None
    logout_user()
    session.clear()
    flash(_("Your role now requires two-factor sign-in. Sign in again to set it up."), "info")
    return redirect(url_for("auth.login"))


def second_step(user: User, next_url: str | None):
    """After the right password: a redirect to the code or to setting up, or None."""
    if signin.is_enabled(user):
        step = CODE
    elif signin.is_required(user):
        signin.start(user)
        step = SETUP
    else:
        return None
    db.session.commit()
    session.clear()  # nothing of an earlier visit is carried over
    session[PENDING] = {
        "uid": user.id,
        "epoch": user.session_epoch,
        "at": int(utcnow().timestamp()),
        "step": step,
        "next": next_url or "",
    }
    return redirect(url_for("auth.login_code" if step == CODE else "auth.login_setup"))


def _pending(step: str) -> User | None:
    data = session.get(PENDING)
    if not isinstance(data, dict) or data.get("step") != step:
        return None
    try:
        age = utcnow().timestamp() - float(data.get("at", 0))
        uid, epoch = int(data["uid"]), int(data["epoch"])
    except (KeyError, TypeError, ValueError):
        return None
    if not 0 <= age <= current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.is_active or user.session_epoch != epoch:
        return None
    return user


def _start_again(message: str | None = None, *, here: str | None = None):
    """Back to the password, unless the half sign-in is valid for the other step."""
    data = session.get(PENDING)
    step = data.get("step") if isinstance(data, dict) else None
    if message is None and step in (CODE, SETUP) and step != here and _pending(step):
        return redirect(url_for("auth.login_code" if step == CODE else "auth.login_setup"))
    session.pop(PENDING, None)
    flash(message or _("Enter your password again."), "warning")
    return redirect(url_for("auth.login"))


def _finish(user: User):
    next_url = (session.get(PENDING) or {}).get("next") or url_for("main.home")
    complete_login(user, second_factor=True)
    return next_url


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending(CODE)
    if user is None:
        return _start_again(here=CODE)
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            how = signin.verify(user, form.code.data, ip=request.remote_addr or "?")
        except signin.SecondFactorThrottled as error:
            db.session.rollback()
            return _start_again(error.message)
        except ValidationFailed as error:
            db.session.rollback()
            form.code.errors.append(error.message)
            return render_template("auth/login_code.html", form=form)
        if how == "recovery":
            audit.record("account.2fa_recovery_used", actor=user, obj=user)
        next_url = _finish(user)
        if how == "recovery":
            left = signin.remaining_codes(user)
            flash(
                _(
                    "You signed in with a recovery code; %(n)d left. Make new ones in the "
                    "profile if few remain.",
                    n=left,
                ),
                "warning",
            )
        return redirect(next_url)
    return render_template("auth/login_code.html", form=form)


@bp.route("/login/setup", methods=["GET", "POST"])
def login_setup():
    """Setting up is a condition of signing in for the roles that must have it."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending(SETUP)
    found = signin.record(user) if user is not None else None
    if user is None or found is None or found.enabled_at is not None or not signin.readable(found):
        return _start_again(here=SETUP)
    form = EnrolCodeForm()
    if form.validate_on_submit():
        try:
            codes = signin.confirm(user, form.code.data, ip=request.remote_addr or "?")
        except signin.SecondFactorThrottled as error:
            db.session.rollback()
            return _start_again(error.message)
        except ValidationFailed as error:
            db.session.rollback()
            form.code.errors.append(error.message)
        else:
            accounts.end_every_session(user)
            next_url = _finish(user)
            return render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
    return render_template("auth/login_setup.html", form=form, **_setup_view(user, found))


def _setup_view(user: User, found) -> dict:
    return {
        "qr": signin.qr_svg(
            signin.provisioning_uri(user, found), title=_("QR code for the authenticator app")
        ),
        "key": signin.grouped_secret(found),
        "account": signin.account_label(user),
    }


# --- the profile ----------------------------------------------------------------------------


def _profile_page(
    confirm_form=None, codes_form=None, disable_form=None, status: int = 200
) -> tuple[str, int]:
    user = current_user._get_current_object()
    found = signin.record(user)
    enabled = found is not None and found.enabled_at is not None
    if found is not None and not enabled and not signin.readable(found):
        found = None  # sealed under an earlier TOKEN_KEY: starting again makes a new one
    setup = _setup_view(user, found) if found is not None and not enabled else {}
    return (
        render_template(
            "auth/two_factor.html",
            found=found,
            enabled=enabled,
            required=signin.is_required(user),
            remaining=signin.remaining_codes(user) if enabled else 0,
            start_form=ConfirmForm(),
            confirm_form=confirm_form or EnrolCodeForm(),
            codes_form=codes_form or RecoveryCodesForm(prefix="rc"),
            disable_form=disable_form or DisableTwoFactorForm(prefix="off"),
            **setup,
        ),
        status,
    )


@bp.route("/profile/two-factor")
@login_required
def two_factor():
    return _profile_page()


@bp.route("/profile/two-factor/start", methods=["POST"])
@login_required
def two_factor_start():
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            signin.start(current_user)
        except ValidationFailed as error:
            db.session.rollback()
            flash(error.message, "info")
        else:
            db.session.commit()
    return redirect(url_for("auth.two_factor"))


@bp.route("/profile/two-factor/confirm", methods=["POST"])
@login_required
def two_factor_confirm():
    user = current_user._get_current_object()
    found = signin.record(user)
    if found is None or found.enabled_at is not None or not signin.readable(found):
        return redirect(url_for("auth.two_factor"))
    form = EnrolCodeForm()
    if not form.validate_on_submit():
        return _profile_page(confirm_form=form)
    try:
        codes = signin.confirm(user, form.code.data, ip=request.remote_addr or "?")
    except ValidationFailed as error:
        db.session.rollback()
        form.code.errors.append(error.message)
        return _profile_page(confirm_form=form)
    accounts.end_every_session(user)
    keep_this_browser(user, second_factor=True)
    return render_template(
        "auth/recovery_codes.html", codes=codes, next_url=url_for("auth.two_factor")
    )


@bp.route("/profile/two-factor/recovery-codes", methods=["POST"])
@login_required
def two_factor_codes():
    user = current_user._get_current_object()
    if not signin.is_enabled(user):
        return redirect(url_for("auth.two_factor"))
    form = RecoveryCodesForm(prefix="rc")
    if not form.validate_on_submit():
        return _profile_page(codes_form=form)
    try:
        codes = signin.regenerate_codes(user, password=form.password.data)
    except ValidationFailed as error:
        db.session.rollback()
        form.password.errors.append(error.message)
        return _profile_page(codes_form=form)
    db.session.commit()
    return render_template(
        "auth/recovery_codes.html", codes=codes, next_url=url_for("auth.two_factor")
    )


@bp.route("/profile/two-factor/disable", methods=["POST"])
@login_required
def two_factor_disable():
    user = current_user._get_current_object()
    if not signin.is_enabled(user):
        return redirect(url_for("auth.two_factor"))
    form = DisableTwoFactorForm(prefix="off")
    if not form.validate_on_submit():
        return _profile_page(disable_form=form)
    try:
        signin.disable(
            user, password=form.password.data, code=form.code.data, ip=request.remote_addr or "?"
        )
    except ValidationFailed as error:
        db.session.rollback()
        field = error.field if error.field in ("password", "code") else "code"
        getattr(form, field).errors.append(error.message)
        return _profile_page(disable_form=form)
    accounts.end_every_session(user)
    keep_this_browser(user)
    flash(_("Two-factor sign-in is off. Other devices have been signed out."), "success")
    return redirect(url_for("auth.two_factor"))


# --- an administrator's reset ---------------------------------------------------------------


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"two_factor_on": signin.is_enabled}


@bp.route("/people/<int:person_id>/two-factor/reset", methods=["POST"])
@login_required
def reset_two_factor(person_id: int):
    """For a person who lost both the phone and the recovery codes (the person's page)."""
    require("people.manage")
    person = db.get_or_404(User, person_id)
    form = ConfirmForm()
    back = url_for("people.view", person_id=person.id)
    if not form.validate_on_submit():
        return redirect(back)
    if person.id == current_user.id:
        flash(_("Turn your own two-factor sign-in off in your profile."), "error")
        return redirect(back)
    if signin.record(person) is None:
        flash(_("Two-factor sign-in is off."), "info")
        return redirect(back)
    signin.reset(person, actor=current_user._get_current_object())
    accounts.end_every_session(person)
    db.session.commit()
    flash(_("Two-factor sign-in has been reset; the person's sessions have ended."), "success")
    return redirect(back)


# --- the command line -----------------------------------------------------------------------


@bp.cli.command("reset-2fa")
@click.argument("login")
def reset_two_factor_command(login: str) -> None:
    """Turn off a person's two-factor sign-in (phone and recovery codes lost): they sign in
    with the password and, if their role requires it, set it up again. Ends their sessions."""
    user = accounts.find_by_login(login)
    if user is None:
        raise click.ClickException("No account has this e-mail or phone number.")
    signin.reset(user, actor=None)
    accounts.end_every_session(user)
    db.session.commit()
    click.echo(f"Two-factor sign-in reset for {user.full_name}.")
