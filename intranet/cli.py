"""Flask commands: demo-data, create-admin, check-deploy, worker, backup, restore."""

from __future__ import annotations

import getpass
import sys

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from intranet.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_data)
    app.cli.add_command(create_admin)
    app.cli.add_command(check_deploy)

    from intranet.worker import worker

    app.cli.add_command(worker)

    from intranet.blueprints.helpdesk.commands import helpdesk

    app.cli.add_command(helpdesk)

    from intranet.backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)

    from intranet.blueprints.personal_data.commands import personal_data_cli

    app.cli.add_command(personal_data_cli)


@click.command("demo-data")
@click.option("--scale", default=1, show_default=True, help="Multiply the volume (benchmarks).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has people.")
def demo_data(scale: int, if_empty: bool) -> None:
    """Fill an empty database with a realistic demo college."""
    from intranet.demo import build_demo_college
    from intranet.models import User

    if db.session.scalar(select(func.count(User.id))):
        if if_empty:
            click.echo("В базе уже есть люди: демо-данные не загружены.")
            return
        raise click.ClickException("База не пуста: демо-данные загружаются только в пустую базу.")
    summary = build_demo_college(scale=scale)
    db.session.commit()
    click.echo(summary)


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--last-name", prompt="Фамилия")
@click.option("--first-name", prompt="Имя")
@click.option("--middle-name", default="", prompt="Отчество")
@click.option("--phone", default="")
def create_admin(email: str, last_name: str, first_name: str, middle_name: str, phone: str) -> None:
    """Create the first platform administrator of a real install."""
    from intranet.models import Role
    from intranet.services import accounts
    from intranet.services.errors import ValidationFailed

    password = getpass.getpass("Пароль: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    try:
        user = accounts.create_person(
            actor=None,
            last_name=last_name,
            first_name=first_name,
            middle_name=middle_name,
            email=email,
            phone=phone or None,
            roles=[Role.ADMIN],
            password=password,
        )
    except ValidationFailed as error:
        raise click.ClickException(error.message) from error
    user.roles[0].is_main = True
    db.session.commit()
    click.echo(f"Администратор создан: {user.full_name} <{user.email}>")


@click.command("check-deploy")
def check_deploy() -> None:
    """List every unsafe production setting; exit non-zero when there is any."""
    from intranet.deploycheck import problems

    found = problems(current_app)
    if not found:
        click.echo("No problems found.")
        return
    for line in found:
        click.echo(f"- {line}")
    raise SystemExit(1)
