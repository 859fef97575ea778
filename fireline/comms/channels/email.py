"""E-mail over SMTP, on connections kept open between messages (see smtp_pool).

Target: ``{"address": "ana@example.com"}``.

The Message-ID is derived from the delivery's idempotency key, so every
retry of one delivery carries the same Message-ID and a mail system (or a
person's filter) can drop the duplicate. With an HTML body the message is
multipart/alternative (text first, HTML preferred by readers that show
it); without one it is a single text/plain part. Pages are not bulk mail:
no List-Unsubscribe, and Auto-Submitted keeps auto-responders quiet. Mail
someone subscribed to (status updates) carries a one-click List-Unsubscribe.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from fireline.comms.channels import register
from fireline.comms.channels.base import (
    Delivery,
    Message,
    SendContext,
    SmtpSettings,
    TargetInvalid,
)
from fireline.comms.channels.common import only_fields, text_field
from fireline.comms.channels.smtp_pool import SmtpPool

__all__ = ["EmailChannel", "SmtpSettings", "message_id"]

# Deliberately plain: one @, no spaces or quotes, a domain of dot-separated
# labels. Anything stranger is more likely a typo than a real address.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# Connections to the mail server, kept open between messages of this process.
connections = SmtpPool()


def normalise_address(value: str) -> str:
    if value.count("@") != 1:
        raise TargetInvalid("address", "expected one address like name@example.com")
    local, domain = value.rsplit("@", 1)
    if not _LOCAL.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise TargetInvalid("address", "the part before @ is not valid")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise TargetInvalid("address", "the domain is not valid") from None
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise TargetInvalid("address", "the domain is not valid")
    address = f"{local}@{domain.lower()}"
    if len(address) > 254:
        raise TargetInvalid("address", "at most 254 characters")
    return address


def message_id(key: str, sender: str) -> str:
    """A Message-ID that depends only on the delivery key (and the sender's
    domain, as RFC 5322 asks for a domain the sender controls)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    domain = parseaddr(sender)[1].rsplit("@", 1)[-1] or "fireline"
    if not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        domain = "fireline"
    return f"<fireline.{digest}@{domain}>"


def _one_line(value: str) -> str:
    return " ".join(value.split())


class EmailChannel:
    kind = "email"
    label = "E-mail"

    def validate_target(self, target: dict[str, Any]) -> dict[str, Any]:
        fields = only_fields(target, {"address"})
        return {"address": normalise_address(text_field(fields, "address", max_length=320))}

    def redact(self, target: dict[str, Any]) -> dict[str, Any]:
        # An address is personal data but no secret: people need to see where pages go.
        return {"address": str(target.get("address", ""))}

    def build(
        self, message: Message, address: str, smtp: SmtpSettings, ctx: SendContext
    ) -> EmailMessage:
        email = EmailMessage()
        email["From"] = smtp.sender
        email["To"] = address
        email["Subject"] = _one_line(message.title) or "fireline"
        email["Date"] = format_datetime(ctx.now or datetime.now(UTC))
        email["Message-ID"] = message_id(ctx.delivery_key(message) or address, smtp.sender)
        email["Auto-Submitted"] = "auto-generated"
        email["X-Fireline-Kind"] = _one_line(message.kind)
        if message.urgency == "high" and message.kind == "page":
            email["Importance"] = "high"
            email["X-Priority"] = "1"
        if message.unsubscribe_url:
            # RFC 2369 and RFC 8058: mail clients show an unsubscribe button
            # that POSTs "List-Unsubscribe=One-Click" to the URL.
            email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    def send(self, message: Message, target: dict[str, Any], ctx: SendContext) -> Delivery:
        try:
            address = self.validate_target(target)["address"]
        except TargetInvalid as exc:
            return Delivery.failed(f"invalid target: {exc}")
        smtp = ctx.smtp
        if smtp is None or not smtp.host:
            return Delivery.failed("no SMTP server is configured (FIRELINE_SMTP_HOST)")
        email = self.build(message, address, smtp, ctx)
        try:
            _transmit(email, address, smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            code, _ = next(iter(exc.recipients.values()), (550, b""))
            return _by_code(code, "the mail server refused the recipient")
        except smtplib.SMTPAuthenticationError as exc:
            return Delivery.failed(f"the mail server refused the login ({exc.smtp_code})")
        except smtplib.SMTPConnectError as exc:
            return Delivery.retry(f"the mail server refused the connection ({exc.smtp_code})")
        except smtplib.SMTPSenderRefused as exc:
            return _by_code(exc.smtp_code, "the mail server refused the sender")
        except smtplib.SMTPResponseException as exc:
            return _by_code(exc.smtp_code, "the mail server refused the message")
        except smtplib.SMTPNotSupportedError as exc:
            return Delivery.failed(f"the mail server cannot do what is configured: {exc}")
        except smtplib.SMTPServerDisconnected:
            return Delivery.retry("the mail server closed the connection")
        except ssl.SSLError as exc:
            return Delivery.failed(f"TLS with the mail server failed: {exc.reason or 'error'}")
        except TimeoutError:
            return Delivery.retry(f"timed out talking to the mail server {smtp.host}")
        except (OSError, smtplib.SMTPException) as exc:
            return Delivery.retry(f"could not reach the mail server {smtp.host}: {_reason(exc)}")
        return Delivery.sent(f"accepted by {smtp.host}", provider_id=email["Message-ID"])


def _transmit(email: EmailMessage, address: str, smtp: SmtpSettings) -> None:
    envelope_sender = parseaddr(smtp.sender)[1] or smtp.sender

    def deliver(connection: smtplib.SMTP) -> None:
        connection.send_message(email, from_addr=envelope_sender, to_addrs=[address])

    connections.send(smtp, deliver)


def _by_code(code: int, what: str) -> Delivery:
    detail = f"{what} ({code})"
    return Delivery.retry(detail) if 400 <= code < 500 else Delivery.failed(detail)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


register(EmailChannel())
