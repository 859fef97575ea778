"""SMTP connections reused between messages, against a real SMTP server."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from fireline.comms.channels.smtp_pool import IDLE_SECONDS, SmtpPool
from tests.comms.conftest import Mailbox, free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "pages@fireline.example"
    message["To"] = to
    message["Subject"] = f"for {to}"
    message.set_content("hello")
    return message


def sender(to: str):  # type: ignore[no-untyped-def]
    def deliver(connection: smtplib.SMTP) -> None:
        connection.send_message(mail(to), to_addrs=[to])

    return deliver


def test_messages_to_one_server_share_a_connection(mailbox: Mailbox) -> None:
    pool, smtp = SmtpPool(), mailbox.settings()
    for name in ("ana", "bo", "cy"):
        pool.send(smtp, sender(f"{name}@example.com"))
    assert [m[1] for m in mailbox.messages] == [
        ["ana@example.com"],
        ["bo@example.com"],
        ["cy@example.com"],
    ]
    assert mailbox.greetings == 1
    assert pool.idle_count(smtp) == 1
    pool.close_all()
    assert pool.idle_count(smtp) == 0


def test_a_connection_idle_too_long_is_not_reused(mailbox: Mailbox) -> None:
    clock = Clock()
    pool, smtp = SmtpPool(clock), mailbox.settings()
    pool.send(smtp, sender("ana@example.com"))
    clock.now += IDLE_SECONDS + 1
    pool.send(smtp, sender("bo@example.com"))
    assert mailbox.greetings == 2
    assert len(mailbox.messages) == 2
    pool.close_all()


def test_a_refused_message_closes_its_connection(mailbox: Mailbox) -> None:
    pool, smtp = SmtpPool(), mailbox.settings()
    mailbox.rcpt_reply = "550 5.1.1 No such user"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        pool.send(smtp, sender("gone@example.com"))
    assert pool.idle_count(smtp) == 0
    mailbox.rcpt_reply = None
    pool.send(smtp, sender("ana@example.com"))
    assert mailbox.greetings == 2
    pool.close_all()


def test_a_connection_the_server_closed_is_replaced_and_the_message_sent() -> None:
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    pool, smtp = SmtpPool(), mailbox.settings()
    try:
        pool.send(smtp, sender("ana@example.com"))
        controller.stop()  # drops every connection, the idle one too
        controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
        controller.start()
        pool.send(smtp, sender("bo@example.com"))
    finally:
        controller.stop()
        pool.close_all()
    assert [m[1] for m in mailbox.messages] == [["ana@example.com"], ["bo@example.com"]]
    assert mailbox.greetings == 2
