"""CSV import of students and parents: Excel's Windows-1251 with semicolons, UTF-8 with commas,
a preview with row-level errors before anything is written, matching on the e-journal's ID
(a second run changes nothing), hostile files, and 10,000 rows against the clock."""

from __future__ import annotations

import io
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import (
    AuditEvent,
    Enrollment,
    Guardian,
    Movement,
    MovementKind,
    Role,
    User,
    UserRole,
)
from intranet.services import imports
from intranet.services.errors import PermissionDenied, ValidationFailed

START = date(2025, 9, 1)
EXCEL_ROWS = [
    "Код обучающегося;Фамилия;Имя;Отчество;Группа;E-mail;Телефон",
    "ST-001;Смирнова;Анна;Игоревна;ИСП-24-1;;8 912 345-67-01",
    "ST-002;Ёлкин;Пётр;Сергеевич;исп-24-1;elkin@kolledzh.ru;",
    "ST-003;Кузнецов;Илья;;ИСП-24-2;;+7 (912) 345-67-03",
]


def excel_1251(rows: list[str]) -> bytes:
    """As Excel «CSV (разделители — точка с запятой)» saves on a Russian Windows."""
    return ("\r\n".join(rows) + "\r\n").encode("cp1251")


def counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, UserRole, Enrollment, Movement, Guardian)
    )


def run(admin, kind: str, data: bytes, starts_on: date = START) -> dict:
    key = imports.stash(admin, data)
    return imports.run_import(admin, kind, key, starts_on=starts_on, filename=f"{kind}.csv")


@pytest.fixture
def admin(make, group, other_group):
    return make.user("admin")


@pytest.mark.pg
def test_an_excel_file_in_windows_1251_imports_and_a_second_run_changes_nothing(admin, group):
    data = excel_1251(EXCEL_ROWS)
    preview = imports.preview(admin, "students", data, starts_on=START)
    assert (preview.encoding, preview.delimiter) == ("Windows-1251", ";")
    assert (preview.new, preview.updated, preview.unchanged, preview.error_count) == (3, 0, 0, 0)
    before = counts()
    assert counts() == before  # the preview wrote nothing
    result = run(admin, "students", data)
    assert result["new"] == 3
    elkin = db.session.scalar(select(User).where(User.external_id == "ST-002"))
    assert (elkin.last_name, elkin.first_name, elkin.email) == (
        "Ёлкин",
        "Пётр",
        "elkin@kolledzh.ru",
    )
    assert elkin.password_hash is None and elkin.has_role(Role.STUDENT)
    smirnova = db.session.scalar(select(User).where(User.external_id == "ST-001"))
    assert smirnova.phone == "+79123456701" and smirnova.email is None
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.student_id == elkin.id))
    assert (enrollment.group_id, enrollment.starts_on) == (group.id, START)
    after_first = counts()
    again = imports.preview(admin, "students", data, starts_on=START)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    second = run(admin, "students", data)
    assert (second["new"], second["updated"], second["unchanged"]) == (0, 0, 3)
    assert counts() == after_first
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import.students"))
    assert event.actor_id == admin.id and event.data["new"] == 3


@pytest.mark.pg
def test_a_changed_row_updates_the_person_and_a_new_group_is_a_transfer(admin, group, other_group):
    run(admin, "students", excel_1251(EXCEL_ROWS))
    changed = EXCEL_ROWS[:1] + [
        "ST-001;Смирнова;Анна;Игоревна;ИСП-24-2;;8 912 345-67-99",  # new group and phone
        EXCEL_ROWS[2],
        EXCEL_ROWS[3],
    ]
    later = date(2026, 2, 1)
    preview = imports.preview(admin, "students", excel_1251(changed), starts_on=later)
    assert (preview.new, preview.updated, preview.unchanged) == (0, 1, 2)
    assert preview.changes[0].fields == ["телефон", "группа"]
    run(admin, "students", excel_1251(changed), starts_on=later)
    person = db.session.scalar(select(User).where(User.external_id == "ST-001"))
    assert person.phone == "+79123456799"
    from intranet import policy

    assert policy.student_group_ids(person.id, date(2026, 1, 31)) == {group.id}
    assert policy.student_group_ids(person.id, later) == {other_group.id}
    move = db.session.scalar(select(Movement).where(Movement.person_id == person.id))
    assert move.kind is MovementKind.TRANSFER and move.effective_on == later


@pytest.mark.pg
def test_utf8_with_commas_english_headers_and_one_name_column(admin):
    text = "\ufeffexternal_id,full_name,group,email\nX-1,Орлова Мария Павловна,ИСП-24-1,orlova@kolledzh.ru\n"
    preview = imports.preview(admin, "students", text.encode("utf-8"), starts_on=START)
    assert (preview.encoding, preview.delimiter, preview.new) == ("UTF-8", ",", 1)
    run(admin, "students", text.encode("utf-8"))
    person = db.session.scalar(select(User).where(User.external_id == "X-1"))
    assert (person.last_name, person.first_name, person.middle_name) == (
        "Орлова",
        "Мария",
        "Павловна",
    )


@pytest.mark.pg
def test_row_errors_are_listed_and_only_valid_rows_imported(make, admin):
    make.user("teacher", email="taken@kolledzh.ru")
    rows = [
        EXCEL_ROWS[0],
        "ST-010;Верный;Иван;;ИСП-24-1;;",
        "ST-011;Безгруппный;Иван;;ИСП-99-9;;",
        "ST-012;;Иван;;ИСП-24-1;;",
        "ST-013;Телефонов;Иван;;ИСП-24-1;;12-34",
        "ST-010;Двойник;Иван;;ИСП-24-1;;",
        "ST-014;Почтовый;Иван;;ИСП-24-1;taken@kolledzh.ru;",
        ";Безкодовый;Иван;;ИСП-24-1;;",
        "ST-015;Адресный;Иван;;ИСП-24-1;не-адрес;",
    ]
    preview = imports.preview(admin, "students", excel_1251(rows), starts_on=START)
    assert preview.new == 1 and preview.error_count == 7
    by_line = {e.line: e.message for e in preview.errors}
    assert "нет группы «ИСП-99-9»" in by_line[3]
    assert "нет фамилии" in by_line[4]
    assert "не российский номер" in by_line[5]
    assert "уже встречался выше" in by_line[6]
    assert "уже есть такой адрес эл. почты" in by_line[7]
    assert "нет кода" in by_line[8]
    assert "неверный адрес эл. почты" in by_line[9]
    result = run(admin, "students", excel_1251(rows))
    assert (result["new"], result["skipped"]) == (1, 7)


@pytest.mark.pg
def test_an_id_of_someone_who_is_not_a_student_is_refused(make, admin):
    make.user("teacher", external_id="ST-001")
    preview = imports.preview(admin, "students", excel_1251(EXCEL_ROWS), starts_on=START)
    assert preview.error_count == 1 and "не является обучающимся" in preview.errors[0].message


@pytest.mark.pg
@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "пустой"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 50, "книга Excel"),
        ("Фамилия;Имя;Группа\r\nИванов;Иван;ИСП-24-1\r\n".encode("koi8_r"), "Кодировка"),
        (b"\x00\x01\x02garbage\x00", "Кодировка"),
        ("Код;Фамилия;Имя\r\nST-1;Иванов;Иван\r\n".encode("cp1251"), "Нет обязательных столбцов"),
        ("Код;Фамилия;Имя;Группа\r\n".encode("cp1251"), "нет строк"),
        ('Код;Фамилия;Имя;Группа\r\n"ST-1;Иванов;Иван;ИСП\r\n'.encode("cp1251"), None),
    ],
    ids=["empty", "xlsx", "koi8-r", "binary", "missing columns", "header only", "open quote"],
)
def test_unreadable_files_are_refused_with_a_reason(admin, data, words):
    if words is None:  # an unterminated quote swallows the rest: one row with an error
        preview = imports.preview(admin, "students", data, starts_on=START)
        assert preview.error_count == 1 and preview.new == 0
        return
    with pytest.raises(ValidationFailed) as error:
        imports.preview(admin, "students", data, starts_on=START)
    assert words in error.value.message and error.value.field == "file"


def test_only_admins_import(make):
    with pytest.raises(PermissionDenied):
        imports.preview(make.user("head"), "students", excel_1251(EXCEL_ROWS), starts_on=START)


def test_a_stashed_file_belongs_to_whoever_uploaded_it(make, admin):
    key = imports.stash(admin, excel_1251(EXCEL_ROWS))
    other = make.user("admin")
    for bad in (key, "../../etc/passwd", "x" * 32):
        with pytest.raises(ValidationFailed):
            imports.run_import(other, "students", bad, starts_on=START)


# --- parents ----------------------------------------------------------------------------------


PARENT_ROWS = [
    "Код родителя;Фамилия;Имя;Отчество;Код обучающегося;Кем приходится;E-mail;Телефон",
    "PR-1;Смирнова;Ольга;Петровна;ST-001;мать;;8 912 765-43-21",
    "PR-1;Смирнова;Ольга;Петровна;ST-003;мать;;8 912 765-43-21",  # two children
    "PR-2;Ёлкин;Сергей;;ST-002;отец;elkin.father@kolledzh.ru;",
    "PR-3;Потерянный;Иван;;ST-999;отец;;",
    "PR-2;Ёлкин;Семён;;ST-001;отец;;",  # the same ID with other data
]


@pytest.mark.pg
def test_parents_are_linked_to_their_children_and_a_second_run_changes_nothing(admin):
    run(admin, "students", excel_1251(EXCEL_ROWS))
    preview = imports.preview(admin, "parents", excel_1251(PARENT_ROWS), starts_on=START)
    assert (preview.new, preview.error_count) == (2, 2)
    messages = " ".join(e.message for e in preview.errors)
    assert "нет обучающегося с кодом ST-999" in messages and "с другими данными" in messages
    result = run(admin, "parents", excel_1251(PARENT_ROWS))
    assert (result["new"], result["links"]) == (2, 3)
    mother = db.session.scalar(select(User).where(User.external_id == "PR-1"))
    children = db.session.scalars(
        select(User.external_id)
        .join(Guardian, Guardian.student_id == User.id)
        .where(Guardian.parent_id == mother.id, Guardian.is_confirmed.is_(True))
    )
    assert set(children) == {"ST-001", "ST-003"} and mother.has_role(Role.PARENT)
    before = counts()
    second = run(admin, "parents", excel_1251(PARENT_ROWS))
    assert (second["new"], second["updated"], second["links"]) == (0, 0, 0)
    assert counts() == before


# --- pages ------------------------------------------------------------------------------------


def test_upload_preview_and_import_through_the_pages(client, login_as, group, other_group):
    login_as("admin")
    form = {
        "kind": "students",
        "starts_on": "2025-09-01",
        "file": (
            io.BytesIO(excel_1251(EXCEL_ROWS + ["ST-004;Ошибкин;Иван;;НЕТ-1;;"])),
            "список.csv",
        ),
    }
    preview = client.post("/imports/preview", data=form, content_type="multipart/form-data")
    assert preview.status_code == 200
    assert "Windows-1251" in preview.text and "нет группы «НЕТ-1»" in preview.text
    assert db.session.scalar(select(func.count(User.id))) == 1  # only the admin
    import re

    key = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', preview.text).group(1)
    done = client.post(
        "/imports/run",
        data={"kind": "students", "key": key, "filename": "список.csv", "starts_on": "2025-09-01"},
    )
    assert done.status_code == 302
    assert "добавлено 3" in client.get(done.location).text
    assert db.session.scalar(select(func.count(User.id))) == 4


def test_a_missing_column_is_explained_on_the_page(client, login_as):
    login_as("admin")
    form = {
        "kind": "students",
        "starts_on": "2025-09-01",
        "file": (io.BytesIO("Фамилия;Имя\r\nИванов;Иван\r\n".encode("cp1251")), "x.csv"),
    }
    page = client.post("/imports/preview", data=form, content_type="multipart/form-data")
    assert page.status_code == 400 and "Нет обязательных столбцов" in page.text


def test_the_template_opens_in_excel(client, login_as):
    login_as("admin")
    response = client.get("/imports/template-students.csv")
    assert response.status_code == 200
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeffКод обучающегося;Фамилия;Имя")
    admin = db.session.scalar(select(User))
    # The template itself imports (its example row names a group that does not exist here).
    preview = imports.preview(admin, "students", response.data, starts_on=START)
    assert preview.error_count == 1 and "ИСП-24-1" in preview.errors[0].message


# --- 10,000 rows ------------------------------------------------------------------------------


@pytest.mark.pg
def test_ten_thousand_students_import_in_under_30_seconds(make, admin, record_property):
    groups = [make.group(f"ГР-{n:02d}") for n in range(40)]
    rows = [EXCEL_ROWS[0]]
    for n in range(10_000):
        rows.append(
            f"S{n:06d};Фамилия{n};Имя;Отчество;{groups[n % 40].name};s{n}@kolledzh.ru;8 9{n:09d}"
        )
    data = excel_1251(rows)
    started = time.perf_counter()
    preview = imports.preview(admin, "students", data, starts_on=START)
    preview_seconds = time.perf_counter() - started
    assert (preview.new, preview.error_count) == (10_000, 0)
    key = imports.stash(admin, data)
    started = time.perf_counter()
    result = imports.run_import(admin, "students", key, starts_on=START)
    db.session.commit()
    import_seconds = time.perf_counter() - started
    assert result["new"] == 10_000
    assert db.session.scalar(select(func.count(Enrollment.id))) == 10_000
    key = imports.stash(admin, data)
    started = time.perf_counter()
    again = imports.run_import(admin, "students", key, starts_on=START)
    second_seconds = time.perf_counter() - started
    assert again["unchanged"] == 10_000
    record_property("preview_seconds", round(preview_seconds, 2))
    record_property("import_seconds", round(import_seconds, 2))
    print(
        f"\n10,000 students: preview {preview_seconds:.1f} s, import {import_seconds:.1f} s, "
        f"second run {second_seconds:.1f} s"
    )
    assert import_seconds < 30
