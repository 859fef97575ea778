"""SMTP connections kept open between messages.

Opening a connection for every message costs a TCP handshake, the greeting,
EHLO (and STARTTLS and AUTH when configured) and QUIT: most of the time it
takes to send a page to a nearby mail server. Mail servers keep an idle
session for minutes (RFC 5321 asks for at least five), so a connection that
has just sent one message is put back and the next message to the same
server reuses it.

A connection serves one thread at a time. One that has sat idle longer than
``IDLE_SECONDS`` is closed rather than reused; one the server has closed
anyway is noticed when the next message fails to start, and that message is
sent again on a fresh connection (it had not reached the server).
"""

from __future__ import annotations

import functools
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fireline.comms.channels.base import SmtpSettings

IDLE_SECONDS = 30.0
MAX_IDLE_PER_SERVER = 8


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One context for every connection: making one loads the system's CA
    certificates, which costs tens of milliseconds."""
    return ssl.create_default_context()


@functools.cache
def local_hostname() -> str:
    """What EHLO says. smtplib looks it up for every connection
    (``socket.getfqdn``, a resolver call); the name does not change."""
    return socket.getfqdn()


@dataclass
class _Idle:
    connection: smtplib.SMTP
    since: float


class SmtpPool:
    """Idle connections per SMTP server and login, most recently used first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._idle: dict[SmtpSettings, list[_Idle]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def send(self, smtp: SmtpSettings, deliver: Callable[[smtplib.SMTP], None]) -> None:
        """Run ``deliver`` on a connection to ``smtp`` and keep the connection
        for the next message if all went well. A reused connection that turns
        out to be closed is replaced once; any other error closes it and is
        raised."""
        reused = self._take(smtp)
        if reused is not None:
            try:
                deliver(reused)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                _close(reused)  # the server let it go while it sat idle
            except BaseException:
                _close(reused)
                raise
            else:
                self._give_back(smtp, reused)
                return
        fresh = open_connection(smtp)
        try:
            deliver(fresh)
        except BaseException:
            _close(fresh)
            raise
        self._give_back(smtp, fresh)

    def close_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for entries in idle.values():
            for entry in entries:
                _close(entry.connection)

    def idle_count(self, smtp: SmtpSettings) -> int:
        with self._lock:
            return len(self._idle.get(smtp, []))

    def _take(self, smtp: SmtpSettings) -> smtplib.SMTP | None:
        stale: list[smtplib.SMTP] = []
        found = None
        now = self._clock()
        with self._lock:
            entries = self._idle.get(smtp, [])
            while entries:
                entry = entries.pop()
                if now - entry.since <= IDLE_SECONDS:
                    found = entry.connection
                    break
                stale.append(entry.connection)
        for connection in stale:
            _close(connection)
        return found

    def _give_back(self, smtp: SmtpSettings, connection: smtplib.SMTP) -> None:
        with self._lock:
            entries = self._idle.setdefault(smtp, [])
            if len(entries) < MAX_IDLE_PER_SERVER:
                entries.append(_Idle(connection, self._clock()))
                return
        _close(connection)


def open_connection(smtp: SmtpSettings) -> smtplib.SMTP:
    """Connect, greet, and secure and log in as configured."""
    connection: smtplib.SMTP
    if smtp.implicit_tls:
        connection = smtplib.SMTP_SSL(
            smtp.host,
            smtp.port,
            local_hostname=local_hostname(),
            timeout=smtp.timeout,
            context=tls_context(),
        )
    else:
        connection = smtplib.SMTP(
            smtp.host, smtp.port, local_hostname=local_hostname(), timeout=smtp.timeout
        )
    try:
        if smtp.starttls and not smtp.implicit_tls:
            connection.starttls(context=tls_context())
        if smtp.user:
            connection.login(smtp.user, smtp.password)
    except BaseException:
        _close(connection)
        raise
    return connection


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
