"""Mail transports: SMTP (STARTTLS or SSL, login, timeouts) or .eml files in a folder.

A transport sends one stored message at a time and keeps its connection open between
messages of a batch. Failures are sorted into what the delivery loop needs to know:
`ConnectionFailure` (the server cannot be reached: every message left waits),
`DeliveryFailure(permanent=...)` (this message: 5xx is permanent, 4xx temporary).
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import tempfile
from pathlib import Path
from typing import Protocol

from flask import Flask


class DeliveryFailure(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class ConnectionFailure(DeliveryFailure):
    """The server could not be reached or dropped the connection: temporary."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False)


class Transport(Protocol):
    description: str

    def send(self, sender: str, recipients: list[str], raw: bytes, name: str) -> dict:
        """Hand the message over; returns the recipients refused while others were taken."""
        ...

    def close(self) -> None: ...


class SMTPTransport:
    """One SMTP connection, opened on the first message and reused until close()."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        use_tls: bool = False,
        use_ssl: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 20,
    ) -> None:
        self.host, self.port = host, int(port)
        self.use_tls, self.use_ssl = bool(use_tls), bool(use_ssl)
        self.username, self.password = username, password
        self.timeout = float(timeout)
        self._conn: smtplib.SMTP | None = None
        self._context: ssl.SSLContext | None = None
        mode = " SSL" if self.use_ssl else " STARTTLS" if self.use_tls else ""
        self.description = f"SMTP {self.host}:{self.port}{mode}"

    def _tls_context(self) -> ssl.SSLContext:
        # Loading the system's certificates takes a quarter of a second: once per worker.
        if self._context is None:
            self._context = ssl.create_default_context()
        return self._context

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.use_ssl:
                conn = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._tls_context()
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            conn.ehlo_or_helo_if_needed()
            if self.use_tls and not self.use_ssl:
                conn.starttls(context=self._tls_context())
                conn.ehlo()
            if self.username:
                conn.login(self.username, self.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise ConnectionFailure(f"login refused: {_reply(error)}") from error
        except (smtplib.SMTPException, OSError) as error:
            message = f"cannot connect to {self.description}: {_describe(error)}"
            raise ConnectionFailure(message) from error
        return conn

    def send(self, sender: str, recipients: list[str], raw: bytes, name: str) -> dict:
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        options = ["SMTPUTF8"] if not all(r.isascii() for r in (sender, *recipients)) else []
        try:
            refused = conn.sendmail(sender, recipients, raw, mail_options=options)
        except smtplib.SMTPRecipientsRefused as error:
            self._reset_after_error()
            codes = [code for code, _text in error.recipients.values()]
            permanent = bool(codes) and all(500 <= code < 600 for code in codes)
            detail = "; ".join(
                f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in error.recipients.items()
            )
            raise DeliveryFailure(f"recipients refused: {detail}", permanent=permanent) from error
        except smtplib.SMTPResponseException as error:
            self._reset_after_error()
            code = error.smtp_code
            raise DeliveryFailure(_reply(error), permanent=500 <= code < 600) from error
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise ConnectionFailure(f"connection lost: {_describe(error)}") from error
        except smtplib.SMTPException as error:
            self._drop()
            raise DeliveryFailure(_describe(error), permanent=False) from error
        return {rcpt: f"{code} {_text(text)}" for rcpt, (code, text) in (refused or {}).items()}

    def _reset_after_error(self) -> None:
        """Keep the connection for the next message if the server still talks to us."""
        if self._conn is None:
            return
        try:
            code, _msg = self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
            return
        if code != 250:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self._drop()


class FileTransport:
    """Each message as an .eml file, so the demo works offline and admins can read what
    would have been sent. A resend overwrites the same file instead of adding a copy."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self.description = f"files in {self.directory}"

    def send(self, sender: str, recipients: list[str], raw: bytes, name: str) -> dict:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / f"{_safe_name(name)}.eml"
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            os.replace(tmp, target)
        except OSError as error:
            raise ConnectionFailure(f"cannot write to {self.directory}: {error}") from error
        return {}

    def close(self) -> None:
        pass


def transport_for(app: Flask) -> Transport:
    """SMTP when MAIL_SERVER is set, otherwise files under MAIL_DIR (instance/mail)."""
    cfg = app.config
    if cfg.get("MAIL_SERVER"):
        return SMTPTransport(
            cfg["MAIL_SERVER"],
            cfg.get("MAIL_PORT") or 25,
            use_tls=cfg.get("MAIL_USE_TLS", False),
            use_ssl=cfg.get("MAIL_USE_SSL", False),
            username=cfg.get("MAIL_USERNAME"),
            password=cfg.get("MAIL_PASSWORD"),
            timeout=cfg.get("MAIL_TIMEOUT") or 20,
        )
    return FileTransport(mail_dir(app))


def mail_dir(app: Flask) -> Path:
    return Path(app.config.get("MAIL_DIR") or Path(app.instance_path) / "mail")


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:150] or "message"


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())


def _reply(error: smtplib.SMTPResponseException) -> str:
    return f"{error.smtp_code} {_text(error.smtp_error)}"


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
