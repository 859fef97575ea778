"""The e-mail channel against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from fireline.comms import channels
from fireline.comms.channels.base import Message, SendContext, TargetInvalid
from fireline.comms.channels.email import EmailChannel, message_id
from tests.comms.conftest import Mailbox

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAGE = Message(
    title="[HIGH] Checkout is down — 5xx above 20%",
    text="Checkout is down.\nAcknowledge: https://fl.example/act/abc",
    html="<p>Checkout is <b>down</b>.</p>",
    urgency="high",
    link="https://fl.example/alerts/groups/3",
    ack_url="https://fl.example/act/abc",
    resolve_url="https://fl.example/act/def",
    idempotency_key="notification-9",
)
email = EmailChannel()


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_sends_a_multipart_message(mailbox: Mailbox) -> None:
    ctx = SendContext(idempotency_key="job-17", smtp=mailbox.settings(), now=NOW)
    delivery = email.send(PAGE, {"address": "ana@example.com"}, ctx)
    assert delivery.ok, delivery.detail
    assert delivery.detail == "accepted by 127.0.0.1"
    [(sender, recipients, raw)] = mailbox.messages
    assert sender == "pages@fireline.example"
    assert recipients == ["ana@example.com"]
    mail = parsed(raw)
    assert mail["Subject"] == PAGE.title
    assert mail["To"] == "ana@example.com"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Importance"] == "high"
    assert mail["List-Unsubscribe"] is None
    assert mail["Date"] == "Mon, 02 Mar 2026 09:00:00 +0000"
    assert mail["Message-ID"].strip() == delivery.provider_id
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content().strip() == PAGE.text
    assert html.get_content().strip() == PAGE.html


def test_without_html_it_is_a_single_text_part(mailbox: Mailbox) -> None:
    message = Message(title="fireline test message", text="Hello.", urgency="low", kind="test")
    delivery = email.send(
        message, {"address": "ana@example.com"}, SendContext("t-1", mailbox.settings())
    )
    assert delivery.ok
    mail = parsed(mailbox.messages[0][2])
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().strip() == "Hello."
    assert mail["Importance"] is None


def test_message_id_is_the_same_on_every_retry_of_one_delivery(mailbox: Mailbox) -> None:
    settings = mailbox.settings()
    for _ in range(2):
        assert email.send(PAGE, {"address": "ana@example.com"}, SendContext("job-17", settings)).ok
    assert email.send(PAGE, {"address": "ana@example.com"}, SendContext("job-18", settings)).ok
    ids = [parsed(raw)["Message-ID"].strip() for _, _, raw in mailbox.messages]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0] == message_id("job-17", settings.sender)
    assert ids[0].endswith("@fireline.example>")


def test_the_message_key_is_used_when_the_context_has_none(mailbox: Mailbox) -> None:
    email.send(PAGE, {"address": "ana@example.com"}, SendContext(smtp=mailbox.settings()))
    assert parsed(mailbox.messages[0][2])["Message-ID"].strip() == message_id(
        "notification-9", "pages@fireline.example"
    )


@pytest.mark.parametrize(
    ("reply", "transient"),
    [("550 5.1.1 No such user", False), ("451 4.3.0 Try again later", True)],
)
def test_refused_recipients(mailbox: Mailbox, reply: str, transient: bool) -> None:
    mailbox.rcpt_reply = reply
    delivery = email.send(
        PAGE, {"address": "gone@example.com"}, SendContext("k", mailbox.settings())
    )
    assert not delivery.ok
    assert delivery.transient is transient
    assert delivery.detail == f"the mail server refused the recipient ({reply[:3]})"


def test_an_unreachable_server_is_transient(closed_port: int) -> None:
    ctx = SendContext("k", smtp=Mailbox().settings(port=closed_port))
    delivery = email.send(PAGE, {"address": "ana@example.com"}, ctx)
    assert (delivery.ok, delivery.transient) == (False, True)
    assert "could not reach the mail server 127.0.0.1" in delivery.detail


def test_starttls_the_server_does_not_offer_is_permanent(mailbox: Mailbox) -> None:
    ctx = SendContext("k", smtp=mailbox.settings(starttls=True))
    delivery = email.send(PAGE, {"address": "ana@example.com"}, ctx)
    assert delivery.permanent
    assert "STARTTLS" in delivery.detail


def test_no_smtp_server_is_permanent() -> None:
    delivery = email.send(PAGE, {"address": "ana@example.com"}, SendContext("k"))
    assert delivery.permanent
    assert "FIRELINE_SMTP_HOST" in delivery.detail


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ({}, "address"),
        ({"address": ""}, "address"),
        ({"address": 5}, "address"),
        ({"address": "not an address"}, "address"),
        ({"address": "a@b@c.com"}, "address"),
        ({"address": "ana@exa mple.com"}, "address"),
        ({"address": "ana@-example.com"}, "address"),
        ({"address": "ana..b@example.com"}, "address"),
        ({"address": "ana@example.com\r\nBcc: x@evil.com"}, "address"),
        ({"address": "ana@example.com", "cc": "x@example.com"}, "cc"),
    ],
)
def test_invalid_targets_name_the_field(target: dict[str, object], field: str) -> None:
    with pytest.raises(TargetInvalid) as invalid:
        email.validate_target(target)
    assert invalid.value.field == field


def test_targets_are_normalised() -> None:
    assert email.validate_target({"address": "  Ana.B+oncall@Example.COM "}) == {
        "address": "Ana.B+oncall@example.com"
    }
    assert email.validate_target({"address": "ops@bücher.example"}) == {
        "address": "ops@bücher.example"
    }
    assert email.redact({"address": "ana@example.com"}) == {"address": "ana@example.com"}


def test_smtp_settings_come_from_fireline_settings() -> None:
    from fireline.core.config import Settings

    assert channels.smtp_settings(Settings(smtp_host="")) is None
    smtp = channels.smtp_settings(
        Settings(
            smtp_host="mail.example",
            smtp_port=587,
            smtp_user="u",
            smtp_password="p",
            smtp_starttls=True,
        )
    )
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.user, smtp.password, smtp.starttls, smtp.implicit_tls) == (
        "mail.example",
        587,
        "u",
        "p",
        True,
        False,
    )
    assert "password" not in repr(smtp)
