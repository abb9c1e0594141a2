"""The pages through the client: drafting, review, reading, and their refusals."""

from __future__ import annotations

from intranet.extensions import db
from intranet.models import Announcement, AnnouncementStatus
from tests.channels import helpers

S = AnnouncementStatus


def login(client, person):
    from tests import factories

    sid = factories.login_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = person.get_id()
        session["_fresh"] = True
        session["sid"] = sid


def test_teacher_drafts_through_the_form(client, college):
    login(client, college.teacher)
    page = client.get(f"/announcements/new?channel={college.official.id}")
    assert page.status_code == 200
    answer = client.post(
        "/announcements/new",
        data={
            "channel": college.official.id,
            "title": "Родительское собрание",
            "body": "В пятницу в 18:00.",
            "save_submit": "1",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    a = db.session.scalar(db.select(Announcement).order_by(Announcement.id.desc()))
    assert a.status is S.IN_REVIEW
    work = client.get(f"/announcements/{a.id}/work")
    assert work.status_code == 200
    assert "Родительское собрание" in work.get_data(as_text=True)


def test_every_page_renders(client, college):
    a = helpers.published(
        college.teacher, college.official, [college.deputy, college.head], is_mandatory=True
    )
    helpers.edit(college.teacher, a, body="Исправленный текст")
    for person in (college.admin, college.head, college.deputy, college.teacher):
        login(client, person)
        for path in (
            "/",
            "/channels/",
            f"/channels/{college.official.id}",
            f"/channels/{college.official.id}?q=собрание",
            "/announcements/",
            "/announcements/?tab=review",
            f"/announcements/{a.id}",
            f"/announcements/{a.id}/work",
            f"/announcements/{a.id}/history",
            f"/announcements/{a.id}/diff",
        ):
            answer = client.get(path)
            assert answer.status_code == 200, (
                person.last_name,
                path,
                answer.get_data(as_text=True)[:3000],
            )
    login(client, college.admin)
    for path in (
        "/channels/manage",
        "/channels/new",
        f"/channels/{college.official.id}/edit",
        f"/announcements/{a.id}/sferum",
        f"/announcements/{a.id}/acknowledgements",
        f"/announcements/{a.id}/edit",
        "/announcements/?tab=all",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.get_data(as_text=True)[:3000])
    atom = client.get(f"/channels/{college.official.id}/feed.atom")
    assert atom.status_code == 200 and atom.mimetype == "application/atom+xml"
    login(client, college.student)
    assert client.get("/").status_code == 200
    assert client.get(f"/announcements/{a.id}").status_code == 200
    assert client.get(f"/announcements/{a.id}/work").status_code == 403
