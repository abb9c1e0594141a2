"""Pages through the client: conflicts, review forms, reading, search, feeds, query counts."""

from __future__ import annotations

from contextlib import contextmanager
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import event

from intranet.extensions import db
from intranet.models import Announcement, AnnouncementStatus, Audience, Role
from intranet.services.channels import reading
from tests.channels import helpers
from tests.channels.test_pages import login
from tests.conftest import CSRFClient

S = AnnouncementStatus


@contextmanager
def counted_queries():
    statements: list[str] = []

    def _count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)


def second_client(app) -> CSRFClient:
    app.test_client_class = CSRFClient
    return app.test_client()


def edit_form(a, **fields) -> dict:
    data = {"channel": a.channel_id, "title": "Заголовок", "body": "Текст", "base_no": "1"}
    data.update(fields)
    return data


def test_second_saver_gets_the_conflict_page_and_nothing_is_lost(app, client, college):
    a = helpers.draft(college.teacher, college.official, body="Исходный текст")
    other = second_client(app)
    login(client, college.teacher)
    login(other, college.admin)
    assert client.get(f"/announcements/{a.id}/edit").status_code == 200
    assert other.get(f"/announcements/{a.id}/edit").status_code == 200
    first = other.post(f"/announcements/{a.id}/edit", data=edit_form(a, body="Правка админа"))
    assert first.status_code == 302
    second = client.post(f"/announcements/{a.id}/edit", data=edit_form(a, body="Правка автора"))
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "Правка админа" in page and "Правка автора" in page
    assert 'name="base_no" type="hidden" value="2"' in page or 'value="2"' in page
    db.session.refresh(a)
    assert a.current_no == 2
    # Saving again from the conflict page makes version 3 on top of the admin's.
    again = client.post(
        f"/announcements/{a.id}/edit", data=edit_form(a, body="Правка автора", base_no="2")
    )
    assert again.status_code == 302
    db.session.refresh(a)
    assert a.current_no == 3


def test_request_changes_needs_a_comment_and_keeps_the_entry(client, college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    login(client, college.deputy)
    answer = client.post(
        f"/announcements/{a.id}/request-changes",
        data={"revision_no": "1", "comment": "", "suggested_text": "Мой вариант текста"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Мой вариант текста" in page
    assert "Напишите комментарий для автора" in page
    db.session.refresh(a)
    assert a.status is S.IN_REVIEW


def test_reviewer_on_an_old_revision_is_told_the_text_changed(client, college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    helpers.edit(college.teacher, a, body="Новый текст")
    login(client, college.deputy)
    answer = client.post(f"/announcements/{a.id}/approve", data={"revision_no": "1"})
    assert answer.status_code == 302
    follow = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Пока вы читали, текст изменился" in follow
    db.session.refresh(a)
    assert a.status is S.IN_REVIEW


def test_reviewers_see_no_edit_button_and_cannot_edit(client, college):
    a = helpers.draft(college.teacher, college.official, submit=True)
    login(client, college.deputy)
    page = client.get(f"/announcements/{a.id}/work").get_data(as_text=True)
    assert f"/announcements/{a.id}/edit" not in page
    assert "Согласовать" in page
    assert client.get(f"/announcements/{a.id}/edit").status_code == 403


def test_the_whole_path_through_the_pages(client, college):
    login(client, college.teacher)
    client.post(
        "/announcements/new",
        data={
            "channel": college.official.id,
            "title": "Субботник",
            "body": "В субботу.",
            "save_submit": "1",
        },
    )
    a = db.session.scalar(db.select(Announcement).order_by(Announcement.id.desc()))
    login(client, college.deputy)
    client.post(
        f"/announcements/{a.id}/request-changes",
        data={"revision_no": "1", "comment": "Укажите время"},
    )
    login(client, college.teacher)
    assert "Укажите время" in client.get(f"/announcements/{a.id}/work").get_data(as_text=True)
    client.post(
        f"/announcements/{a.id}/edit",
        data=edit_form(a, title="Субботник", body="В субботу в 10:00.", save_submit="1"),
    )
    login(client, college.deputy)
    assert (
        client.post(f"/announcements/{a.id}/approve", data={"revision_no": "2"}).status_code == 302
    )
    login(client, college.head)
    assert (
        client.post(f"/announcements/{a.id}/approve", data={"revision_no": "2"}).status_code == 302
    )
    db.session.refresh(a)
    assert a.status is S.PUBLISHED
    login(client, college.student)
    home = client.get("/").get_data(as_text=True)
    assert "Субботник" in home
    diff = None
    login(client, college.deputy)
    diff = client.get(f"/announcements/{a.id}/diff?a=1&b=2").get_data(as_text=True)
    assert "<ins>" in diff and "10:00" in diff
    history = client.get(f"/announcements/{a.id}/history").get_data(as_text=True)
    assert "Укажите время" in history and "опубликовано" in history


def test_preview_uses_the_server_renderer(client, college):
    login(client, college.teacher)
    answer = client.post(
        "/announcements/preview", data={"body": "**жирно** <script>x</script> [a](javascript:x)"}
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<strong>жирно</strong>" in html
    assert "<script>" not in html and "javascript:" not in html.split("[a]")[0]
    refused = client.post("/announcements/preview", data={"body": "x"}, csrf=False)
    assert refused.status_code == 400


def test_channel_page_search_in_russian(client, college):
    helpers.bulk_published(college.official, college.teacher, 3, title="Ёлка в актовом зале")
    helpers.bulk_published(college.official, college.teacher, 2, title="Экзамен")
    login(client, college.student)
    page = client.get(f"/channels/{college.official.id}?q=ЕЛКА").get_data(as_text=True)
    assert page.count("Ёлка в актовом зале") == 3 and "Экзамен" not in page
    page = client.get(f"/channels/{college.official.id}?q=%25").get_data(as_text=True)
    assert "ничего не найдено" in page
    newest = client.get(f"/channels/{college.official.id}").get_data(as_text=True)
    assert newest.index("Экзамен 1") < newest.index("Экзамен 0")


def test_channel_page_paginates_newest_first(client, college):
    helpers.bulk_published(college.official, college.teacher, 45)
    login(client, college.student)
    first = client.get(f"/channels/{college.official.id}").get_data(as_text=True)
    assert "Новость 44" in first and "Новость 24" not in first
    third = client.get(f"/channels/{college.official.id}?page=3").get_data(as_text=True)
    assert "Новость 0" in third and "Новость 44" not in third


def test_home_feed_is_filtered_by_audience(client, college, staff_channel, make):
    parents = helpers.channel(college.admin, "Новости для родителей", audience=Audience.PARENTS)
    group = helpers.channel(
        college.admin, "Группа", audience=Audience.GROUPS, group_ids=[college.group.id]
    )
    helpers.bulk_published(staff_channel, college.admin, 1, title="Педсовет")
    helpers.bulk_published(parents, college.admin, 1, title="Родительское собрание")
    helpers.bulk_published(group, college.admin, 1, title="Расписание группы")
    helpers.bulk_published(college.official, college.admin, 1, title="Для всех")
    seen = {}
    for role in ("student", "parent", "teacher", "other_student"):
        login(client, getattr(college, role))
        seen[role] = client.get("/").get_data(as_text=True)
    assert "Для всех" in seen["student"] and "Расписание группы" in seen["student"]
    assert "Педсовет" not in seen["student"] and "Родительское собрание" not in seen["student"]
    assert "Родительское собрание" in seen["parent"] and "Расписание группы" not in seen["parent"]
    assert "Педсовет" in seen["teacher"] and "Расписание группы" in seen["teacher"]
    assert "Расписание группы" not in seen["other_student"]


def test_atom_feed_is_public_valid_and_conditional(client, college, staff_channel):
    helpers.bulk_published(college.official, college.teacher, 3)
    answer = client.get(f"/channels/{college.official.id}/feed.atom")
    assert answer.status_code == 200 and answer.mimetype == "application/atom+xml"
    root = ET.fromstring(answer.data)  # noqa: S314 (our own feed)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert len(root.findall("{http://www.w3.org/2005/Atom}entry")) == 3
    etag = answer.headers["ETag"]
    again = client.get(
        f"/channels/{college.official.id}/feed.atom", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    helpers.bulk_published(college.official, college.teacher, 1, title="Свежая")
    changed = client.get(
        f"/channels/{college.official.id}/feed.atom", headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200 and "Свежая".encode() in changed.data
    assert client.get(f"/channels/{staff_channel.id}/feed.atom").status_code == 404


def test_mandatory_acknowledgement_and_who_has_not(client, college, staff_channel):
    a = helpers.published(
        college.teacher, staff_channel, [college.deputy, college.head], is_mandatory=True
    )
    login(client, college.tutor)
    home = client.get("/").get_data(as_text=True)
    assert "Подтвердите, что вы ознакомились" in home
    assert client.post(f"/announcements/{a.id}/acknowledge").status_code == 302
    assert "Подтвердите, что вы ознакомились" not in client.get("/").get_data(as_text=True)
    login(client, college.teacher)
    report = client.get(f"/announcements/{a.id}/acknowledgements?which=no").get_data(as_text=True)
    assert college.head.last_name in report and college.tutor.last_name not in report
    done = client.get(f"/announcements/{a.id}/acknowledgements?which=yes").get_data(as_text=True)
    assert college.tutor.last_name in done


def test_sferum_text_and_the_post_recorded(client, college):
    a = helpers.published(
        college.teacher,
        college.official,
        [college.deputy, college.head],
        body="**Важно:** приходите [по ссылке](https://example.com).",
    )
    login(client, college.admin)
    page = client.get(f"/announcements/{a.id}/sferum").get_data(as_text=True)
    assert "Важно: приходите по ссылке (https://example.com)." in page
    answer = client.post(
        f"/announcements/{a.id}/sferum",
        data={"url": "https://web.max.ru/c/123", "posted_at": "2026-01-10T10:00"},
    )
    assert answer.status_code == 302
    db.session.refresh(a)
    assert a.sferum_url == "https://web.max.ru/c/123" and a.sferum_posted_at is not None
    bad = client.post(
        f"/announcements/{a.id}/sferum", data={"url": "javascript:alert(1)", "posted_at": "x"}
    )
    assert bad.status_code == 200 and "javascript:alert(1)" in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/channels/{channel}",
        "/",
        "/channels/",
        "/channels/{channel}/feed.atom",
        "/announcements/?tab=all",
    ],
)
def test_query_count_does_not_grow_with_the_data(client, college, path):
    login(client, college.head)
    url = path.format(channel=college.official.id)
    helpers.bulk_published(college.official, college.teacher, 3)
    client.get(url)
    with counted_queries() as few:
        assert client.get(url).status_code == 200
    helpers.bulk_published(college.official, college.teacher, 40)
    other = helpers.channel(college.admin, "Ещё канал")
    helpers.bulk_published(other, college.deputy, 20)
    client.get(url)  # the Atom feed renders once per change, then serves its cache
    with counted_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), (len(few), len(many))


def channel_form(**fields) -> dict:
    data = {
        "name": "Новости отделения",
        "description": "Для всех",
        "audience": "everyone",
        "stages-0-role": "deputy",
        "stages-1-role": "",
    }
    data.update(fields)
    return data


def test_admin_creates_a_channel_with_stages_and_sees_errors(client, college):
    login(client, college.admin)
    empty = client.post("/channels/new", data=channel_form(**{"stages-0-role": ""}))
    assert empty.status_code == 200
    assert "хотя бы один этап" in empty.get_data(as_text=True)
    groups = client.post("/channels/new", data=channel_form(audience="groups", name="Группа X"))
    assert groups.status_code == 200 and "Выберите хотя бы одну группу" in groups.get_data(
        as_text=True
    )
    assert 'value="Группа X"' in groups.get_data(as_text=True)  # the entry is kept
    made = client.post(
        "/channels/new",
        data=channel_form(**{"stages-1-people": [str(college.head.id)]}),
    )
    assert made.status_code == 302
    from intranet.models import Channel

    channel = db.session.scalar(db.select(Channel).where(Channel.name == "Новости отделения"))
    stages = reading.channel_with_stages(Announcement(channel_id=channel.id)).stages
    assert [s.approver_role for s in stages] == [Role.DEPUTY, None]
    assert [u.id for u in stages[1].approvers] == [college.head.id]
    same = client.post("/channels/new", data=channel_form())
    assert "уже есть" in same.get_data(as_text=True)
    edit = client.get(f"/channels/{channel.id}/edit").get_data(as_text=True)
    assert "Новости отделения" in edit


def test_atom_feed_is_rendered_once_per_change(client, college):
    helpers.bulk_published(college.official, college.teacher, 2)
    url = f"/channels/{college.official.id}/feed.atom"
    first = client.get(url)
    with counted_queries() as cached:
        again = client.get(url)
    assert again.data == first.data and len(cached) <= 2, cached
    a = helpers.published(college.teacher, college.official, [college.deputy, college.head])
    helpers.edit(college.teacher, a, title="Исправленный заголовок")
    helpers.submit(college.teacher, a)
    helpers.approve(college.deputy, a)
    helpers.approve(college.head, a)
    changed = client.get(url)
    assert "Исправленный заголовок".encode() in changed.data
    assert changed.headers["ETag"] != first.headers["ETag"]
