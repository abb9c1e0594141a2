"""`flask helpdesk fetch-mail` against a real IMAP server: Dovecot from Debian's packages,
started here as a throwaway instance (a temp directory, a passwd-file user, a free loopback
port). Without Dovecot the test is skipped with the reason; under CI=true it fails instead."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from intranet.extensions import db
from intranet.models import InboundMail
from intranet.models.helpdesk import InboundStatus, TicketStatus
from intranet.services.helpdesk import tickets
from tests import factories

pytestmark = pytest.mark.slow

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
USER, PASSWORD = "helpdesk", "imap-test-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dovecot():
    """A Dovecot IMAP server on loopback with one mailbox; yields (port, user, password)."""
    if DOVECOT is None:
        reason = "Dovecot is not installed (apt-get install dovecot-imapd)"
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="hd-dovecot-"))
    root.chmod(0o755)
    port = _free_port()
    if os.geteuid() == 0:
        # Dovecot never gives mail access to root: the mailbox belongs to nobody.
        mail_user = pwd.getpwnam("nobody")
        service_users = ""
    else:
        mail_user = pwd.getpwuid(os.geteuid())
        me = mail_user.pw_name
        service_users = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
    home = root / "home"
    home.mkdir()
    if os.geteuid() == 0:
        os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    config = root / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{home}/%u/Maildir
first_valid_uid = 1
{service_users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
    )
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (root / "dovecot.log").read_text(errors="replace")
                        if (root / "dovecot.log").exists()
                        else ""
                    )
                    out = (
                        proc.stdout.read().decode(errors="replace")
                        if proc.poll() is not None
                        else ""
                    )
                    pytest.fail(f"Dovecot did not start:\n{out}\n{log}", pytrace=False)
                time.sleep(0.1)
        yield port, USER, PASSWORD
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


def _message(**headers) -> bytes:
    body = headers.pop("body", "Текст письма")
    msg = EmailMessage()
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def test_fetch_mail_takes_in_each_unseen_message_once(own_app, dovecot):
    from imapclient import IMAPClient

    port, user, password = dovecot
    app = own_app(
        HELPDESK_IMAP_HOST="127.0.0.1",
        HELPDESK_IMAP_PORT=port,
        HELPDESK_IMAP_SSL=False,
        HELPDESK_IMAP_USERNAME=user,
        HELPDESK_IMAP_PASSWORD=password,
    )
    with app.app_context():
        student = factories.user("student", email="anna@example.com")
        ticket = factories.ticket(student, status="waiting_requester")
        db.session.commit()
        number, ticket_id = ticket.number, ticket.id

    with IMAPClient("127.0.0.1", port=port, ssl=False) as client:
        client.login(user, password)
        for raw in (
            _message(
                From="Анна <anna@example.com>",
                To="helpdesk@college.local",
                Subject=f"Re: [{number}] Код",
                Message_ID="<reply-1@example.com>",
                body="Код пришёл, спасибо!",
            ),
            _message(
                From="anna@example.com",
                Subject=f"Автоответ: [{number}]",
                Message_ID="<auto-1@example.com>",
                Auto_Submitted="auto-replied",
            ),
            _message(
                From="mama@example.com", Subject="Помогите", Message_ID="<stray-1@example.com>"
            ),
        ):
            client.append("INBOX", raw)

    runner = app.test_cli_runner()
    result = runner.invoke(args=["helpdesk", "fetch-mail"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("fetched 3:")
    with app.app_context():
        statuses = dict(
            db.session.execute(db.select(InboundMail.message_id, InboundMail.status)).all()
        )
        assert statuses == {
            "<reply-1@example.com>": InboundStatus.MATCHED,
            "<auto-1@example.com>": InboundStatus.DROPPED,
            "<stray-1@example.com>": InboundStatus.UNMATCHED,
        }
        loaded = tickets.load_for_page(ticket_id, staff=True)
        assert loaded.status is TicketStatus.OPEN
        assert loaded.messages[-1].body == "Код пришёл, спасибо!"

    # Everything was flagged seen: the next poll finds nothing new.
    again = runner.invoke(args=["helpdesk", "fetch-mail"])
    assert again.exit_code == 0 and again.output.startswith("fetched 0")
    with IMAPClient("127.0.0.1", port=port, ssl=False) as client:
        client.login(user, password)
        client.select_folder("INBOX")
        assert client.search(["UNSEEN"]) == []
        # Marked unseen again (a crash before the flag): the Message-IDs keep it stored once.
        client.remove_flags(client.search(["ALL"]), [b"\\Seen"])
    third = runner.invoke(args=["helpdesk", "fetch-mail"])
    assert "duplicate=3" in third.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(InboundMail.id))) == 3
