"""Keep secrets that travel in URL paths out of the access log.

Some URLs are their own credential: an integration key (/ingest/KEY,
/ping/KEY), a one-click page link (/act/TOKEN), a calendar feed
(/calendar/TOKEN.ics). Access logs print every request's path, so the
secret part is replaced before the line is written.
"""

from __future__ import annotations

import logging
import re

_SECRET_PATHS = (
    (re.compile(r"/calendar/[^/?#\s\"]+\.ics"), "/calendar/[redacted].ics"),
    (re.compile(r"/(ingest|ping|act)/[^/?#\s\"]+"), r"/\1/[redacted]"),
)


def redact_path(text: str) -> str:
    for pattern, replacement in _SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_path(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        return True


def install(logger_name: str = "uvicorn.access") -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecretPaths) for f in logger.filters):
        logger.addFilter(RedactSecretPaths())
