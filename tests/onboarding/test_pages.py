"""List pages cost the same number of queries for a few rows as for many, and each explains
itself when empty."""

from __future__ import annotations

from datetime import date, timedelta

from intranet.extensions import db
from intranet.models import CouncilMember, Movement, MovementKind, MovementStatus, Role
from tests.onboarding.helpers import council, document, join_request
from tests.views.test_people import counted_queries


def page_queries(statements: list[str]) -> list[str]:
    """Leave out the college's time zone: it is cached for 30 seconds, and on a slow machine
    the cache may run out between two requests of one test."""
    return [s for s in statements if "FROM organisation" not in s]


def same_cost(client, path: str, add_rows) -> None:
    add_rows(2)
    with counted_queries() as few:
        assert client.get(path).status_code == 200
    add_rows(20)
    with counted_queries() as many:
        assert client.get(path).status_code == 200
    assert len(page_queries(many)) == len(page_queries(few)), path


def test_the_request_queue(client, login_as, make, group):
    login_as("admin")
    student = make.user("student")
    make.enroll(student, group)

    def add(n):
        for _ in range(n):
            join_request(make.user(), Role.PARENT, student=student)
            join_request(make.user(), Role.STUDENT, group=group)

    same_cost(client, "/onboarding/requests", add)


def test_the_movement_list_and_the_tutors_history(client, login_as, make, group):
    admin = login_as("admin")
    order = document()

    def add(n):
        for _ in range(n):
            person = make.user("student")
            db.session.add(
                Movement(
                    kind=MovementKind.EXPULSION, status=MovementStatus.APPLIED,
                    person_id=person.id, effective_on=date.today(), from_group_id=group.id,
                    basis_id=order.id, created_by_id=admin.id, applied_at=db.func.now(),
                )
            )  # fmt: skip
            make.tutor_of(make.user("tutor"), group, starts_on=date.today() - timedelta(days=n))
        db.session.commit()

    same_cost(client, "/movement/", add)
    same_cost(client, "/movement/tutors/history", lambda n: None)


def test_the_documents_register_and_a_council(client, login_as, make):
    login_as("deputy")
    board = council()

    def add(n):
        for _ in range(n):
            document()
            db.session.add(
                CouncilMember(
                    council_id=board.id, user_id=make.user("parent").id, since=date.today()
                )
            )
        db.session.commit()

    same_cost(client, "/documents/", add)
    same_cost(client, f"/councils/{board.id}", lambda n: None)


def test_a_tutors_invitation_page_does_not_query_per_group(client, login_as, make, group):
    tutor = login_as("tutor", "teacher")
    make.tutor_of(tutor, group)
    with counted_queries() as few:
        client.get("/onboarding/")
    for _ in range(10):
        make.group()
    with counted_queries() as many:
        page = client.get("/onboarding/")
    assert len(page_queries(many)) == len(page_queries(few))
    assert f"/onboarding/groups/{group.id}/activation" in page.text


def test_empty_lists_say_what_to_do(client, login_as):
    login_as("admin")
    assert "Ссылок нет" in client.get("/onboarding/").text
    assert "Заявок нет" in client.get("/onboarding/requests").text
    assert "Документов не найдено" in client.get("/documents/").text
    assert "движения нет" in client.get("/movement/").text
    assert "Активов пока нет" in client.get("/councils/").text
