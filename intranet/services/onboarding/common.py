"""What the onboarding services share: the personal-data policy version, consents, QR codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from intranet.extensions import db
from intranet.models import Consent, User
from intranet.models.base import utcnow
from intranet.services.errors import ValidationFailed

# The version of the personal-data policy shown at /privacy (templates/onboarding/privacy.html).
# Change it whenever the text changes: each consent records the version it was given to.
POLICY_VERSION = "2026-11-29"
# Every version of the policy, newest first: (version, what changed). The page lists them.
POLICY_HISTORY = (
    (
        "2026-11-29",
        _l(
            "Retention after leaving and anonymisation; a copy of one's data and the "
            "withdrawal of consent from the profile."
        ),
    ),
    ("2026-09-01", _l("The first version.")),
)


def require_consent(accepted: bool) -> None:
    """Refuse to go on without consent to personal-data processing."""
    if not accepted:
        raise ValidationFailed(
            _("Without consent to the processing of personal data we cannot create an account."),
            "consent",
        )


def record_consent(user: User, *, context: str, now: datetime | None = None) -> Consent:
    """Store consent to personal-data processing (152-ФЗ) with the policy version."""
    consent = Consent(
        user_id=user.id,
        policy_version=POLICY_VERSION,
        context=context,
        accepted_at=now or utcnow(),
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(consent)
    return consent




@contextmanager
def unique_guard(message: str | None = None, field: str | None = None) -> Iterator[None]:
    """A check for a free e-mail or phone can race with another save; the unique constraint
    cannot: its violation becomes a message instead of an error page."""
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as error:
        raise ValidationFailed(
            message
            or _("Someone has just used the same e-mail, phone or ID. Check and try again."),
            field,
        ) from error
