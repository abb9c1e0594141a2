"""The announcement path in a real browser: a teacher drafts with the live preview, the deputy
requests changes, the teacher edits and resubmits, the deputy and the head approve, the worker
publishes it at its time, and it appears on a student's home page.

The server is one of this module's own (the demo college on a fresh database), because the
test also runs the real worker (`flask worker --once`) against the same database.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bench.liveserver import PYTHON, ROOT, LiveServer, app_env, build_database
from tests.browser.support import BLOCKING, PHONE, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ZONE = ZoneInfo("Europe/Moscow")  # the demo college's time zone
TITLE = "Субботник во дворе колледжа"


@pytest.fixture(scope="module")
def server(tmp_path_factory, _catalog) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("channels-server")
    log = workdir / "server.log"
    env = app_env(f"sqlite:///{workdir / 'intranet.sqlite3'}", workdir)
    build_database(env, scale=1, log=log)
    live = LiveServer(env, log, workers=2, threads=4).start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def open_as(page_opener, server):
    return lambda role, **options: page_opener(server.url, role, **options)


def run_worker(server: LiveServer) -> str:
    out = subprocess.run(
        [PYTHON, "-m", "flask", "--app", "wsgi", "worker", "--once"],
        cwd=ROOT,
        env=dict(server.env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


def check_accessible(axe, page) -> None:
    blocking = [v for v in axe(page) if v["impact"] in BLOCKING]
    assert not blocking, [
        (
            v["id"],
            v["help"],
            [(n["target"], n.get("failureSummary", "")[:200]) for n in v["nodes"][:3]],
        )
        for v in blocking
    ]


def open_work_page(page) -> None:
    """From the work list, the item awaiting this person."""
    page.goto("/announcements/?tab=review")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_load_state()
    assert path_of(page).endswith("/work")


def test_teacher_to_student_through_review_and_the_worker(open_as, server, axe, artifacts):
    go_live = (datetime.now(ZONE) + timedelta(minutes=3)).replace(second=0, microsecond=0)

    # The teacher drafts on a phone-sized screen, with the live preview.
    teacher = open_as("teacher", **PHONE)
    teacher.get_by_role("link", name="Написать объявление").first.click()
    teacher.select_option("select[name=channel]", label="Официальный канал колледжа")
    teacher.fill("input[name=title]", TITLE)
    teacher.fill("textarea[name=body]", "Приходите **в субботу**. Возьмите перчатки.")
    teacher.locator("#body-preview strong").wait_for()
    assert teacher.locator("#body-preview strong").inner_text() == "в субботу"
    teacher.fill("input[name=go_live_at]", go_live.strftime("%Y-%m-%dT%H:%M"))
    check_accessible(axe, teacher)
    teacher.screenshot(path=artifacts / "channels-draft-390.png", full_page=True)
    with teacher.expect_navigation():
        teacher.get_by_role("button", name="Сохранить и отправить на согласование").click()
    assert "на согласовании" in teacher.locator("main").inner_text()
    work_url = path_of(teacher)

    # The deputy asks for a change (reviewers never edit).
    deputy = open_as("deputy")
    open_work_page(deputy)
    assert deputy.get_by_role("link", name="Изменить").count() == 0
    check_accessible(axe, deputy)
    deputy.locator("summary", has_text="Запросить изменения").click()
    deputy.fill("form[action$='/request-changes'] textarea[name=comment]", "Укажите время сбора.")
    with deputy.expect_navigation():
        deputy.get_by_role("button", name="Запросить изменения").click()
    assert "Изменения запрошены" in deputy.locator("main").inner_text()

    # The teacher sees the comment, edits and resubmits.
    teacher.goto(work_url)
    assert "Укажите время сбора." in teacher.locator("main").inner_text()
    teacher.get_by_role("link", name="Изменить").click()
    teacher.fill("textarea[name=body]", "Приходите **в субботу в 10:00**. Возьмите перчатки.")
    with teacher.expect_navigation():
        teacher.get_by_role("button", name="Сохранить и отправить на согласование").click()

    # The deputy approves stage 1, the head stage 2: it is scheduled.
    open_work_page(deputy)
    with deputy.expect_navigation():
        deputy.get_by_role("button", name="Согласовать").click()
    head = open_as("head")
    open_work_page(head)
    with head.expect_navigation():
        head.get_by_role("button", name="Согласовать").click()
    assert "Будет опубликовано" in head.locator("main").inner_text()

    # The student does not see it before its time; the worker publishes it at its time.
    student = open_as("student", **PHONE)
    assert TITLE not in student.locator("main").inner_text()
    while datetime.now(ZONE) < go_live + timedelta(seconds=1):
        time.sleep(1)
    log = run_worker(server)
    student.goto("/")
    assert TITLE in student.locator("main").inner_text(), log
    student.get_by_role("link", name=TITLE).first.click()
    assert "в субботу в 10:00" in student.locator("article").inner_text()
    check_accessible(axe, student)
    student.screenshot(path=artifacts / "channels-student-390.png", full_page=True)
    for page in (teacher, deputy, head, student):
        assert not page.console_errors, page.console_errors
