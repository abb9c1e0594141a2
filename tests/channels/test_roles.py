"""Every transition × every role: who may, and that everyone else is refused.

Each case builds its own announcement in the state the transition starts from (written by
the teacher in the official channel: deputy, then head) and calls the service as that role.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from intranet.extensions import db
from intranet.models import Audience
from intranet.models.base import utcnow
from intranet.services.channels import drafting, manage, publication, reading, review
from intranet.services.errors import PermissionDenied
from tests.channels import helpers
from tests.channels.conftest import ROLES


def _draft(c):
    return helpers.draft(c.teacher, c.official)


def _in_review(c):
    return helpers.draft(c.teacher, c.official, submit=True)


def _at_stage_two(c):
    a = _in_review(c)
    helpers.approve(c.deputy, a)
    return a


def _scheduled(c):
    return helpers.published(
        c.teacher, c.official, [c.deputy, c.head], go_live_in=timedelta(days=1)
    )


def _published(c):
    return helpers.published(c.teacher, c.official, [c.deputy, c.head])


def _mandatory(c):
    staff = helpers.channel(c.admin, "Сотрудникам", audience=Audience.STAFF)
    return helpers.published(c.teacher, staff, [c.deputy, c.head], is_mandatory=True)


def _edit(a, person):
    drafting.save(
        a, drafting.Draft(title="Новый заголовок", body="Новый текст"), actor=person, base_no=1
    )


def _create(c, person):
    drafting.create(c.official, drafting.Draft(title="Заголовок", body="Текст"), actor=person)


def _manage(c, person):
    manage.create_channel(
        manage.ChannelData(
            name="Ещё канал",
            description="",
            audience=Audience.STAFF,
            stages=[manage.StageSpec(role="deputy")],
        ),
        actor=person,
    )


def _sferum(a, person):
    publication.record_sferum_post(
        a, actor=person, url="https://sferum.ru/?p=messages", posted_at=utcnow()
    )


# (name, set-up, action, roles allowed)
CASES = [
    (
        "create",
        None,
        lambda c, a, p: _create(c, p),
        {"admin", "head", "deputy", "tutor", "teacher"},
    ),
    ("manage channels", None, lambda c, a, p: _manage(c, p), {"admin"}),
    ("edit draft", _draft, lambda c, a, p: _edit(a, p), {"admin", "teacher"}),
    ("submit", _draft, lambda c, a, p: review.submit(a, actor=p), {"admin", "teacher"}),
    ("withdraw", _in_review, lambda c, a, p: review.withdraw(a, actor=p), {"admin", "teacher"}),
    (
        "withdraw scheduled",
        _scheduled,
        lambda c, a, p: review.withdraw(a, actor=p),
        {"admin", "teacher"},
    ),
    (
        "approve stage 1",
        _in_review,
        lambda c, a, p: review.approve(a, actor=p, revision_no=1),
        {"deputy"},
    ),
    (
        "approve stage 2",
        _at_stage_two,
        lambda c, a, p: review.approve(a, actor=p, revision_no=1),
        {"head"},
    ),
    (
        "request changes",
        _in_review,
        lambda c, a, p: review.request_changes(a, actor=p, revision_no=1, comment="Исправьте"),
        {"deputy"},
    ),
    (
        "decline",
        _at_stage_two,
        lambda c, a, p: review.decline(a, actor=p, revision_no=1, comment="Нет"),
        {"head"},
    ),
    (
        "publish urgently",
        _in_review,
        lambda c, a, p: publication.publish_urgently(a, actor=p),
        {"head"},
    ),
    (
        "cancel",
        _published,
        lambda c, a, p: publication.cancel(a, actor=p, reason="Перенесено"),
        {"admin", "head", "teacher"},
    ),
    (
        "edit published",
        _published,
        lambda c, a, p: _edit(a, p),
        {"admin", "teacher"},
    ),
    (
        "acknowledge",
        _mandatory,
        lambda c, a, p: reading.acknowledge(a, actor=p),
        {"admin", "head", "deputy", "tutor", "teacher"},
    ),
    (
        "record the Sferum post",
        _published,
        lambda c, a, p: _sferum(a, p),
        {"admin", "head", "deputy"},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "setup", "action", "allowed"), CASES, ids=[case[0] for case in CASES]
)
def test_transition_as_role(college, name, setup, action, allowed, role):
    a = setup(college) if setup else None
    person = getattr(college, role)
    if role in allowed:
        action(college, a, person)
        db.session.commit()
    else:
        with pytest.raises(PermissionDenied):
            action(college, a, person)
        db.session.rollback()
