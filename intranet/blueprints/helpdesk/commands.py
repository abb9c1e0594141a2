"""`flask helpdesk …`: take in mail (an MTA pipe or an IMAP poll) and run the sweep by hand."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from intranet.extensions import db

# sysexits: the MTA keeps the message and retries on a temporary failure.
EX_TEMPFAIL = 75


helpdesk = AppGroup("helpdesk", help="The help desk's mail and sweep.")


@helpdesk.command("ingest")
def ingest() -> None:
    """Take in one RFC 822 message from stdin (for an MTA pipe: `| flask helpdesk ingest`)."""
    from intranet.services.helpdesk import inbound

    raw = sys.stdin.buffer.read()
    if not raw.strip():
        raise click.ClickException("no message on stdin")
    try:
        result = inbound.ingest(raw)
        db.session.commit()
    except Exception as error:  # the database is away: let the MTA try again later
        db.session.rollback()
        click.echo(f"helpdesk ingest: temporary failure: {error}", err=True)
        sys.exit(EX_TEMPFAIL)
    ticket = result.ticket.number if result.ticket else "-"
    state = "duplicate" if result.duplicate else result.status.value
    click.echo(f"{state} {ticket} {result.reason}".strip())


@helpdesk.command("fetch-mail")
@click.option("--limit", default=500, show_default=True, help="Messages to take in at most.")
def fetch_mail(limit: int) -> None:
    """Take in the unseen messages of the help-desk mailbox (HELPDESK_IMAP_*)."""
    from flask import current_app

    from intranet.services.helpdesk.imap import fetch

    if not current_app.config.get("HELPDESK_IMAP_HOST"):
        raise click.ClickException("HELPDESK_IMAP_HOST is not set")
    result = fetch(commit=True, limit=limit)
    summary = ", ".join(f"{k}={v}" for k, v in sorted(result.statuses.items())) or "nothing new"
    click.echo(f"fetched {result.fetched}: {summary}; failed {result.failed}")
    if result.failed:
        sys.exit(1)


@helpdesk.command("sweep")
def sweep() -> None:
    """Run the SLA sweep once (the worker runs it every minute)."""
    from intranet.services.helpdesk.sweep import sweep as run

    counts = run()
    db.session.commit()
    click.echo(", ".join(f"{k}={v}" for k, v in counts.items()))
