"""Small helpers the structure views share: the actor, query arguments, form errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, request
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from intranet.extensions import db
from intranet.models import User
from intranet.services.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)

# Views check the policy before calling a service, so a PermissionDenied that still comes
# back is a rule about the object (the last administrator keeps the role), shown as a message.
FORM_ERRORS = (ValidationFailed, Conflict, InvalidTransition, PermissionDenied)


def me() -> User:
    return current_user._get_current_object()


def page_size() -> int:
    return current_app.config["PAGE_SIZE"]


def text_arg(name: str, limit: int = 100) -> str:
    return request.args.get(name, "").strip()[:limit]


def int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None


def show_error(form: FlaskForm | None, error: Exception) -> None:
    """Put a service's refusal next to the field it names, or above the form."""
    message = getattr(error, "message", "") or str(error)
    field = getattr(form, getattr(error, "field", None) or "", None) if form else None
    if field is not None and isinstance(field.errors, list):
        field.errors.append(message)
    else:
        flash(message, "error")


def submit(
    form: FlaskForm | None,
    call: Callable[[], Any],
    done: str,
    next_url: str | Callable[[Any], str],
) -> Response | None:
    """Run a service call: commit and redirect with a message, or roll back and show why.

    `next_url` may be a function of the call's result (e.g. the page of what was created).
    Returns the redirect, or None when the form should be shown again with the error.
    """
    try:
        # A savepoint, not a full rollback: what the page loaded stays loaded (relationships
        # are lazy="raise"), so the form can be shown again; the request ends without commit.
        with db.session.begin_nested():
            result = call()
    except FORM_ERRORS as error:
        show_error(form, error)
        return None
    db.session.commit()
    flash(done, "success")
    return redirect(next_url(result) if callable(next_url) else next_url)


def refuse_or_redirect(
    call: Callable[[], Any], done: str, next_url: str, back_url: str | None = None
) -> Response:
    """For buttons without fields: run the call and go on, or go back with the reason."""
    return submit(None, call, done, next_url) or redirect(back_url or next_url)
