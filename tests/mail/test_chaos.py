"""The outbox chaos run in a bounded form (the full one, 1,000 messages and ten kills on each
engine, is in `make bench`: bench/mail_throughput.py): 200 messages, the worker killed with
SIGKILL three times while delivering, an SMTP server answering 421/451 at random and 550 to
some recipients, and mail queued meanwhile by transactions of which half roll back."""

from __future__ import annotations

import pytest

from bench.mail_throughput import chaos

pytestmark = pytest.mark.slow


def test_kills_refusals_and_rollbacks_lose_nothing_and_send_nothing_extra(tmp_path):
    outcome = chaos("sqlite", 200, 3, tmp_path)
    print(outcome.line())

    assert outcome.lost == 0, outcome.line()
    assert outcome.duplicates <= outcome.kills, outcome.line()
    assert outcome.dead == outcome.refused == 4, outcome.line()  # only the 550 ones
    assert outcome.rolled_back > 0 and outcome.rolled_back_sent == 0, outcome.line()
    # The faults did happen: both kinds of temporary refusal were retried through.
    assert outcome.temporary.get("421", 0) > 0 and outcome.temporary.get("451", 0) > 0
    assert outcome.committed_during > 0
    assert outcome.sent == 200 - outcome.refused + outcome.committed_during, outcome.line()
