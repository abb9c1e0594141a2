"""The chats registry: who may register which chat, the checks on its fields, the list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import AuditEvent, ChatKind, ChatStatus, Organisation, Platform
from intranet.services import chats
from intranet.services.errors import PermissionDenied, ValidationFailed
from tests.onboarding import helpers as h

pytestmark = pytest.mark.pg


def values(kind="other", **fields) -> chats.ChatValues:
    fields.setdefault("title", "ИСП-24-1: группа")
    fields.setdefault("invite_url", "https://sferum.ru/?call_link=abc")
    return chats.ChatValues(kind=kind, **fields)


def test_tutor_registers_the_group_chat_and_it_is_audited(app, make):
    tutor = make.user("tutor")
    grp = make.group()
    make.tutor_of(tutor, grp)
    chat = chats.register(tutor, values("tutor_students", group_id=grp.id, member_count=25))
    assert chat.owner_id == tutor.id
    assert chat.kind is ChatKind.TUTOR_STUDENTS
    assert chat.group_id == grp.id
    assert chat.status is ChatStatus.ACTIVE
    assert chat.title_key == "исп-24-1: группа"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "chats.register"))
    assert event.object_id == chat.id and event.actor_id == tutor.id


def test_tutor_cannot_register_for_a_group_they_do_not_tutor(app, make):
    tutor = make.user("tutor")
    make.tutor_of(tutor, make.group())
    other = make.group()
    with pytest.raises(ValidationFailed) as error:
        chats.register(tutor, values("tutor_parents", group_id=other.id))
    assert error.value.field == "group_id"


def test_group_kind_needs_a_group(app, make):
    tutor = make.user("tutor")
    with pytest.raises(ValidationFailed) as error:
        chats.register(tutor, values("tutor_students"))
    assert error.value.field == "group_id"


def test_tutor_cannot_register_the_heads_chats(app, make):
    tutor = make.user("tutor")
    with pytest.raises(ValidationFailed) as error:
        chats.register(tutor, values("head_deputies"))
    assert error.value.field == "kind"
    head = make.user("head")
    assert chats.register(head, values("head_deputies")).group_id is None


def test_teacher_registers_per_discipline_only_what_they_teach(app, make):
    teacher = make.user("teacher")
    grp = make.group()
    algo, nets = make.discipline(), make.discipline(name="Компьютерные сети")
    make.teaches(teacher, grp, algo)
    make.teaches(teacher, grp, nets)
    first = chats.register(
        teacher, values("teacher_group_discipline", group_id=grp.id, discipline_id=algo.id)
    )
    second = chats.register(
        teacher, values("teacher_group_discipline", group_id=grp.id, discipline_id=nets.id)
    )
    assert {first.discipline_id, second.discipline_id} == {algo.id, nets.id}
    with pytest.raises(ValidationFailed) as error:
        chats.register(
            teacher,
            values("teacher_group_discipline", group_id=grp.id, discipline_id=make.discipline().id),
        )
    assert error.value.field == "discipline_id"
    with pytest.raises(ValidationFailed) as error:
        chats.register(teacher, values("teacher_group_discipline", group_id=grp.id))
    assert error.value.field == "discipline_id"


def test_teacher_registers_the_chat_of_the_club_they_lead(app, make):
    teacher = make.user("teacher")
    mine, theirs = h.club(leader=teacher), h.club(leader=make.user("teacher"))
    chat = chats.register(teacher, values("teacher_extracurricular", club_id=mine.id))
    assert chat.club_id == mine.id
    with pytest.raises(ValidationFailed) as error:
        chats.register(teacher, values("teacher_extracurricular", club_id=theirs.id))
    assert error.value.field == "club_id"


def test_fields_that_do_not_apply_are_dropped(app, make):
    head = make.user("head")
    chat = chats.register(
        head, values("head_teachers", discipline_id=make.discipline().id, club_id=None)
    )
    assert chat.discipline_id is None and chat.group_id is None


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://sferum.ru/chat",
        "javascript:alert(1)",
        "sferum.ru/chat",
        "https://",
        "https://sferum.ru/a b",
        "https://" + "a" * 500 + ".ru",
    ],
)
def test_invitation_link_must_be_an_https_url(app, make, url):
    head = make.user("head")
    with pytest.raises(ValidationFailed) as error:
        chats.register(head, values("head_deputies", invite_url=url))
    assert error.value.field == "invite_url"


def test_member_count_and_date_are_checked(app, make):
    head = make.user("head")
    with pytest.raises(ValidationFailed) as error:
        chats.register(head, values(member_count=-1))
    assert error.value.field == "member_count"
    with pytest.raises(ValidationFailed) as error:
        chats.register(head, values(created_on=date.today() + timedelta(days=2)))
    assert error.value.field == "created_on"


def test_a_second_active_chat_of_a_mandated_kind_is_refused_but_archived_ones_do_not_count(
    app, make
):
    tutor = make.user("tutor")
    grp = make.group()
    make.tutor_of(tutor, grp)
    first = chats.register(tutor, values("tutor_parents", group_id=grp.id))
    with pytest.raises(ValidationFailed):
        chats.register(tutor, values("tutor_parents", group_id=grp.id))
    chats.update(tutor, first, values("tutor_parents", group_id=grp.id, status="archived"))
    assert chats.register(tutor, values("tutor_parents", group_id=grp.id)).id != first.id
    # Two "other" chats are fine.
    chats.register(tutor, values("other"))
    chats.register(tutor, values("other"))


def test_platform_defaults_to_the_organisations(app, make):
    db.session.add(Organisation(full_name="Колледж", short_name="К", platform=Platform.MAX))
    db.session.flush()
    chat = chats.register(make.user("head"), values())
    assert chat.platform is Platform.MAX
    chosen = chats.register(make.user("head"), values(platform="vk"))
    assert chosen.platform is Platform.VK


def test_only_the_owner_or_an_admin_changes_a_chat(app, make):
    tutor = make.user("tutor")
    grp = make.group()
    make.tutor_of(tutor, grp)
    chat = chats.register(tutor, values("tutor_students", group_id=grp.id))
    with pytest.raises(PermissionDenied):
        chats.update(make.user("tutor"), chat, values("other", title="Чужой"))
    with pytest.raises(PermissionDenied):
        chats.update(make.user("head"), chat, values("other", title="Чужой"))
    admin = make.user("admin")
    chats.update(admin, chat, values("tutor_students", group_id=grp.id, title="Новое"))
    assert chat.title == "Новое" and chat.owner_id == tutor.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "chats.update"))
    assert event.actor_id == admin.id and "title" in event.data["fields"]


def test_unconfirmed_teacher_may_not_register(app, make):
    teacher = make.user("teacher", confirmed=False)
    with pytest.raises(PermissionDenied):
        chats.register(teacher, values())


def test_list_shows_leaders_every_chat_and_others_their_own(app, make):
    tutor, teacher, admin = make.user("tutor"), make.user("teacher"), make.user("admin")
    a = make.chat(tutor, title="Альфа")
    b = make.chat(teacher, title="Бета", status="archived")

    def ids(viewer, **kw):
        return [c.id for c in db.session.scalars(chats.list_query(viewer, **kw))]

    assert ids(tutor, everyone=True) == [a.id]
    assert set(ids(admin, everyone=True)) == {a.id, b.id}
    assert ids(admin, everyone=True, status="archived") == [b.id]
    assert ids(admin, everyone=True, find="бет") == [b.id]
    assert ids(admin, everyone=True, kind="head_deputies") == []
    assert ids(admin) == []
