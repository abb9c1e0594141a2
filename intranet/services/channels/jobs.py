"""The worker's channel jobs: scheduled publication, expiry and the audience mail."""

from __future__ import annotations

from intranet.jobs import register_job
from intranet.services.channels import notify, publication


def run_schedule() -> None:
    """Publish what is due, then unpublish what has expired."""
    publication.publish_due()
    publication.expire_due()


def run_mailings() -> None:
    notify.deliver_mailings()


register_job("channels.schedule", 30, run_schedule)
register_job("channels.mailings", 20, run_mailings)
