"""`flask personal-data anonymise [--dry-run]`: anonymise people who left (152-ФЗ)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from intranet.extensions import db

personal_data_cli = AppGroup("personal-data", help="Personal data (152-ФЗ).")

REASONS = {
    "left": "ушёл из колледжа или учётная запись отключена",
    "withdrawn": "отозвал согласие",
    "children_left": "дети ушли из колледжа",
}


@personal_data_cli.command("anonymise")
@click.option("--dry-run", is_flag=True, help="Only list who would be anonymised.")
def anonymise(dry_run: bool) -> None:
    """Anonymise everyone whose retention period after leaving is over."""
    from intranet.services import personal_data

    due = personal_data.due_for_anonymisation()
    for item in due:
        click.echo(
            f"№ {item.person.id}\t{item.person.full_name}\t{REASONS[item.reason.value]} "
            f"{item.left_on.isoformat()}\tсрок хранения истёк {item.due_on.isoformat()}"
        )
    if dry_run:
        click.echo(f"Будет обезличено: {len(due)} (проверка, ничего не изменено).")
        return
    done = personal_data.anonymise_due()
    db.session.commit()
    click.echo(f"Обезличено: {len(done)}.")
