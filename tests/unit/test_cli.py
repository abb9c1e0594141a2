"""Operator commands: create-admin and the demo-data guard."""

from __future__ import annotations

from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import Role, TeacherStatus, User
from intranet.services import accounts

ADMIN_ARGS = [
    "create-admin",
    "--email",
    "Director.Office@College.example",
    "--last-name",
    "Ершова",
    "--first-name",
    "Алёна",
    "--middle-name",
    "Петровна",
]


def test_create_admin_makes_a_confirmed_main_admin(app):
    result = app.test_cli_runner().invoke(args=ADMIN_ARGS, input="тихий вечер у реки\n")

    assert result.exit_code == 0, result.output
    assert "Администратор создан: Ершова Алёна Петровна" in result.output
    user = db.session.scalar(select(User).where(User.email == "director.office@college.example"))
    assert user.role_set == {Role.ADMIN}
    assert user.is_main_admin
    assert user.teacher_status is TeacherStatus.CONFIRMED
    signed_in = accounts.authenticate(user.email, "тихий вечер у реки", ip="192.0.2.9")
    assert signed_in.id == user.id


def test_create_admin_refuses_a_weak_password_in_russian(app):
    runner = app.test_cli_runner()

    common = runner.invoke(args=ADMIN_ARGS, input="password\n")
    short = runner.invoke(args=ADMIN_ARGS, input="abc\n")

    assert common.exit_code != 0
    assert "слишком распространён" in common.output
    assert short.exit_code != 0
    assert "Пароль должен быть не короче 8 символов." in short.output
    assert db.session.scalar(select(User).where(User.email.like("director.office@%"))) is None


def test_demo_data_goes_only_into_an_empty_database(app, make):
    make.user("student")
    before = db.session.scalar(select(func.count(User.id)))
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["demo-data"])
    skipped = runner.invoke(args=["demo-data", "--if-empty"])

    assert refused.exit_code != 0
    assert skipped.exit_code == 0
    assert db.session.scalar(select(func.count(User.id))) == before
