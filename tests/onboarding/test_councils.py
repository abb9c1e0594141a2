"""Councils (the parents' and the student council) and clubs with a leader and members."""

from __future__ import annotations

from datetime import date

import pytest

from intranet.models import ClubKind, CouncilKind
from intranet.services import councils
from intranet.services.errors import PermissionDenied, ValidationFailed
from tests.onboarding.helpers import club, council

DAY = date(2025, 9, 15)


@pytest.mark.pg
def test_the_parents_council_takes_parents_and_the_student_council_students(make):
    head = make.user("head")
    parents = councils.save_council(head, None, kind="parents", name="Родительский актив")
    students = councils.save_council(head, None, kind=CouncilKind.STUDENTS, name="Студсовет")
    parent, student = make.user("parent"), make.user("student")
    councils.add_council_member(
        head, parents, user_id=parent.id, position="председатель", since=DAY
    )
    with pytest.raises(ValidationFailed):
        councils.add_council_member(head, parents, user_id=student.id, since=DAY)
    councils.add_council_member(head, students, user_id=student.id, since=DAY)
    with pytest.raises(ValidationFailed) as error:
        councils.add_council_member(head, students, user_id=student.id, since=DAY)
    assert "уже в составе" in error.value.message
    assert [m.user_id for m in councils.council_members(parents)] == [parent.id]
    assert dict((c.name, n) for c, n in councils.councils_overview()) == {
        "Родительский актив": 1,
        "Студсовет": 1,
    }
    with pytest.raises(ValidationFailed):  # members first
        councils.save_council(head, parents, kind="students", name="Родительский актив")
    with pytest.raises(ValidationFailed):
        councils.save_council(head, None, kind="parents", name="Студсовет")


@pytest.mark.pg
def test_a_club_is_led_by_a_confirmed_teacher_who_manages_its_members(make):
    deputy = make.user("deputy")
    leader = make.user("teacher")
    with pytest.raises(ValidationFailed):
        councils.save_club(
            deputy, None, kind="club", name="Кружок", leader_id=make.user("student").id
        )
    with pytest.raises(ValidationFailed):
        pending = make.user("teacher", confirmed=False)
        councils.save_club(deputy, None, kind="club", name="Кружок", leader_id=pending.id)
    robotics = councils.save_club(
        deputy, None, kind="club", name="Робототехника", leader_id=leader.id,
        schedule="вторник, 16:00",
    )  # fmt: skip
    student = make.user("student")
    councils.add_club_member(leader, robotics, user_id=student.id, joined_on=DAY)
    with pytest.raises(PermissionDenied):
        councils.add_club_member(make.user("teacher"), robotics, user_id=student.id, joined_on=DAY)
    with pytest.raises(ValidationFailed):
        councils.add_club_member(leader, robotics, user_id=make.user("parent").id, joined_on=DAY)
    (member,) = councils.club_members(robotics)
    councils.remove_club_member(leader, member)
    assert councils.club_members(robotics) == []


def test_members_are_found_by_name_and_added_on_the_page(client, login_as, make):
    login_as("deputy")
    board = council(CouncilKind.PARENTS, "Актив родителей")
    parent = make.user("parent", last_name="Активная")
    page = client.get(f"/councils/{board.id}?find=актив")
    assert "Активная" in page.text
    added = client.post(
        f"/councils/{board.id}/members",
        data={
            "find": "актив",
            "user_id": str(parent.id),
            "position": "секретарь",
            "since": "2025-09-15",
        },
    )
    assert added.status_code == 302
    page = client.get(f"/councils/{board.id}")
    assert "Активная" in page.text and "секретарь" in page.text


def test_teachers_see_the_clubs_students_do_not(client, login_as, make):
    club(leader=make.user("teacher"), name="Шахматы")
    login_as("teacher")
    assert "Шахматы" in client.get("/councils/").text
    login_as("student")
    assert client.get("/councils/").status_code == 403


@pytest.mark.pg
def test_a_name_taken_at_the_same_moment_is_a_form_error_and_the_session_goes_on(
    make, monkeypatch
):
    """Two admins saving one name at once: the check before saving passes for both, and the
    unique constraint, not an error page, answers the second."""
    head = make.user("head")
    councils.save_council(head, None, kind="parents", name="Родительский актив")
    monkeypatch.setattr(councils, "_name", lambda name, model, own_id: name)
    with pytest.raises(ValidationFailed) as error:
        councils.save_council(head, None, kind="students", name="Родительский актив")
    assert error.value.field == "name"
    councils.save_club(head, None, kind=next(iter(ClubKind)), name="Шахматы", leader_id=None)
    with pytest.raises(ValidationFailed) as error:
        councils.save_club(head, None, kind=next(iter(ClubKind)), name="Шахматы", leader_id=None)
    assert error.value.field == "name"
    # The session is still usable: the first council is there, the second is not.
    assert [c.name for c, _n in councils.councils_overview()] == ["Родительский актив"]
