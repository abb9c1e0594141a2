"""Polling the help-desk mailbox over IMAP: each unseen message ingested, then marked seen.

A message is committed before it is flagged \\Seen; a crash in between fetches it again
next time, and the Message-ID makes the second intake a no-op.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import current_app
from imapclient import IMAPClient

from intranet.extensions import db
from intranet.services.helpdesk import inbound

log = logging.getLogger("intranet.helpdesk")
_BATCH = 20


@dataclass
class FetchResult:
    fetched: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    failed: int = 0


def fetch(*, commit: bool = True, limit: int = 500) -> FetchResult:
    """Ingest up to `limit` unseen messages from HELPDESK_IMAP_* and flag them seen."""
    cfg = current_app.config
    result = FetchResult()
    with IMAPClient(
        cfg["HELPDESK_IMAP_HOST"],
        port=int(cfg["HELPDESK_IMAP_PORT"]),
        ssl=bool(cfg["HELPDESK_IMAP_SSL"]),
        timeout=30,
    ) as client:
        client.login(cfg["HELPDESK_IMAP_USERNAME"], cfg["HELPDESK_IMAP_PASSWORD"])
        client.select_folder(cfg["HELPDESK_IMAP_FOLDER"])
        uids = sorted(client.search(["UNSEEN"]))[:limit]
        for start in range(0, len(uids), _BATCH):
            batch = uids[start : start + _BATCH]
            data = client.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                raw = data.get(uid, {}).get(b"BODY[]")
                if not raw:
                    continue
                try:
                    outcome = inbound.ingest(bytes(raw))
                    if commit:
                        db.session.commit()
                except Exception:
                    db.session.rollback()
                    result.failed += 1
                    log.exception("helpdesk: IMAP message uid %s could not be taken in", uid)
                    continue
                client.add_flags([uid], [b"\\Seen"])
                result.fetched += 1
                key = "duplicate" if outcome.duplicate else outcome.status.value
                result.statuses[key] = result.statuses.get(key, 0) + 1
    return result
