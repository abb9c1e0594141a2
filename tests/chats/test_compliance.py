"""Which mandated chats should exist, on tricky structures, and which are missing."""

from __future__ import annotations

from datetime import date

import pytest

from intranet.models import ChatKind, CouncilKind
from intranet.services.chats import compliance
from tests.onboarding import helpers as h

pytestmark = pytest.mark.pg
TODAY = date(2026, 11, 2)


def kinds(board, **match):
    return sorted(
        (e.kind.value, found)
        for e, found in board.items
        if all(getattr(e, k) == v for k, v in match.items())
    )


def test_tutor_group_expects_three_chats_and_registered_ones_count(app, make):
    tutor = make.user("tutor")
    grp = make.group()
    make.tutor_of(tutor, grp)
    make.chat(tutor, "tutor_students", group=grp)
    board = compliance.board(TODAY)
    assert kinds(board, group_id=grp.id) == [
        ("tutor_parents", False),
        ("tutor_students", True),
        ("tutor_teachers", False),
    ]
    (row,) = [c for c in board.by_group() if c.key == grp.id]
    assert (row.expected, row.present, row.percent) == (3, 1, 33)


def test_a_group_with_no_tutor_shows_its_tutor_chats_missing_with_no_owner(app, make):
    grp = make.group()
    board = compliance.board(TODAY)
    assert {e.owner_id for e, _ in board.items if e.group_id == grp.id} == {None}
    assert kinds(board, group_id=grp.id) == [
        ("tutor_parents", False),
        ("tutor_students", False),
        ("tutor_teachers", False),
    ]
    (nobody,) = [c for c in board.by_owner(frozenset(compliance.TUTOR_KINDS)) if c.key is None]
    assert nobody.expected == 3 and nobody.percent == 0


def test_a_teacher_with_two_disciplines_in_one_group_needs_two_chats(app, make):
    teacher = make.user("teacher")
    grp = make.group()
    a, b = make.discipline(), make.discipline()
    make.teaches(teacher, grp, a)
    make.teaches(teacher, grp, b)
    make.chat(teacher, "teacher_group_discipline", group=grp, discipline=a)
    mine = compliance.board(TODAY, owner_id=teacher.id)
    assert sorted((e.discipline_id, found) for e, found in mine.items) == sorted(
        [(a.id, True), (b.id, False)]
    )
    assert mine.for_owner(teacher.id).percent == 50


def test_archived_chat_does_not_count_and_archived_group_expects_nothing(app, make):
    tutor = make.user("tutor")
    grp, old = make.group(), make.group()
    make.tutor_of(tutor, grp)
    make.tutor_of(tutor, old)
    old.is_archived = True
    make.chat(tutor, "tutor_parents", group=grp, status="archived")
    board = compliance.board(TODAY, owner_id=tutor.id)
    assert {e.group_id for e, _ in board.items} == {grp.id}
    assert not any(found for _, found in board.items)


def test_when_the_tutor_changes_the_expectation_follows(app, make):
    old_tutor, new_tutor = make.user("tutor"), make.user("tutor")
    grp = make.group()
    ended = make.tutor_of(old_tutor, grp, starts_on=date(2024, 9, 1))
    ended.ends_on = date(2026, 8, 31)
    make.tutor_of(new_tutor, grp, starts_on=date(2026, 9, 1))
    make.chat(old_tutor, "tutor_students", group=grp)
    board = compliance.board(TODAY)
    assert {e.owner_id for e, _ in board.items if e.group_id == grp.id} == {new_tutor.id}
    assert kinds(board, group_id=grp.id, kind=ChatKind.TUTOR_STUDENTS) == [
        ("tutor_students", False)
    ]
    assert compliance.missing_for(old_tutor, TODAY) is None


def test_extracurricular_group_and_the_heads_council_chats(app, make):
    head, teacher = make.user("head"), make.user("teacher")
    club = h.club(leader=teacher)
    inactive = h.club(leader=teacher)
    inactive.is_active = False
    h.council(CouncilKind.PARENTS)
    make.chat(teacher, "teacher_extracurricular", club=club)
    make.chat(head, "head_deputies")
    board = compliance.board(TODAY)
    assert kinds(board, owner_id=teacher.id) == [("teacher_extracurricular", True)]
    assert kinds(board, owner_id=head.id) == [
        ("head_deputies", True),
        ("head_parents_council", False),
        ("head_teachers", False),
    ]
    assert board.describe([e for e, _ in board.items if e.club_id][0]) == club.name


def test_a_transferred_student_changes_nothing_for_the_chats(app, make):
    tutor, student = make.user("tutor"), make.user("student")
    a, b = make.group(), make.group()
    make.tutor_of(tutor, a)
    first = make.enroll(student, a)
    first.ends_on = date(2026, 10, 1)
    make.enroll(student, b, starts_on=date(2026, 10, 2))
    board = compliance.board(TODAY)
    assert {e.group_id for e, _ in board.items} == {a.id, b.id}


def test_departments_aggregate_their_groups(app, make):
    tutor = make.user("tutor")
    dept = make.department()
    g1, g2 = make.group(dept=dept), make.group(dept=dept)
    make.tutor_of(tutor, g1)
    make.tutor_of(tutor, g2)
    for kind in compliance.TUTOR_KINDS:
        make.chat(tutor, kind.value, group=g1)
    board = compliance.board(TODAY)
    (row,) = [c for c in board.by_department() if c.key == dept.id]
    assert (row.expected, row.present, row.percent) == (6, 3, 50)
    assert board.total.expected == 6


def test_the_head_is_expected_to_keep_both_councils_chats_only_when_they_exist(app, make):
    head = make.user("head")
    assert kinds(compliance.board(TODAY), owner_id=head.id) == [
        ("head_deputies", False),
        ("head_teachers", False),
    ]
    h.council(CouncilKind.STUDENTS, name="Студенческий совет")
    h.council(CouncilKind.PARENTS, name="Родительский актив")
    make.chat(head, "head_student_council")
    board = compliance.board(TODAY)
    assert kinds(board, owner_id=head.id) == [
        ("head_deputies", False),
        ("head_parents_council", False),
        ("head_student_council", True),
        ("head_teachers", False),
    ]
    (row,) = board.by_owner(compliance.HEAD_KINDS)
    assert (row.key, row.expected, row.present) == (head.id, 4, 1)


def test_a_new_teaching_assignment_adds_a_chat_and_a_removed_one_drops_it(app, make):
    from intranet.extensions import db

    teacher, successor = make.user("teacher"), make.user("teacher")
    grp = make.group()
    algo = make.discipline()
    assignment = make.teaches(teacher, grp, algo)
    make.chat(teacher, "teacher_group_discipline", group=grp, discipline=algo)
    assert kinds(compliance.board(TODAY), owner_id=teacher.id) == [
        ("teacher_group_discipline", True)
    ]
    # The discipline passes to another teacher: the expectation moves with it, and the old
    # teacher's chat no longer covers it.
    db.session.delete(assignment)
    make.teaches(successor, grp, algo)
    board = compliance.board(TODAY)
    assert kinds(board, owner_id=teacher.id) == []
    assert kinds(board, owner_id=successor.id) == [("teacher_group_discipline", False)]
    assert compliance.missing_for(teacher, TODAY) is None


def test_a_club_follows_its_leader_and_a_closed_club_expects_nothing(app, make):
    first, second = make.user("teacher"), make.user("teacher")
    club = h.club(leader=first)
    h.club(leader=None)  # no leader yet: nobody to expect it of
    make.chat(first, "teacher_extracurricular", club=club)
    assert kinds(compliance.board(TODAY), club_id=club.id) == [("teacher_extracurricular", True)]
    club.leader_id = second.id
    board = compliance.board(TODAY)
    assert [(e.owner_id, found) for e, found in board.items if e.club_id == club.id] == [
        (second.id, False)
    ]
    club.is_active = False
    assert not [e for e, _ in compliance.board(TODAY).items if e.club_id == club.id]


def test_an_archived_group_leaves_the_board_with_its_teachers_chats(app, make):
    tutor, teacher = make.user("tutor"), make.user("teacher")
    grp = make.group()
    make.tutor_of(tutor, grp)
    make.teaches(teacher, grp, make.discipline())
    assert compliance.board(TODAY).total.expected == 4
    grp.is_archived = True
    assert compliance.board(TODAY).total.expected == 0
