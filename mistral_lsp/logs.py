"""Logging set-up, and the redactor that keeps the API key out of every log line and message.

pygls logs whole `initialize` params and, at debug level, every JSON-RPC message — which can
carry `mistral.apiKey`. So the key is scrubbed from every log record on its way out (a filter
on each handler), whoever logged it, and from every message shown to the user.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

# Neither pattern takes a backslash into what it masks: reports are redacted as JSON text, where
# `\"` ends a string, and masking the backslash alone would leave a bare quote (broken JSON).
_KEY_FIELD = re.compile(r"""(["']?(?:apiKey|api[_-]key|Authorization)["']?\s*[:=]\s*["']?)(Bearer\s+)?(?!\()[^"',;\s}\\]+""", re.IGNORECASE)
# A bearer token anywhere (a proxy may echo one we do not know).
_BEARER = re.compile(r"(?i)(bearer\s+)(?!\*\*\*)[^\s\"',;\\]+")
# Shorter "keys" (local servers accept anything, e.g. "x") cannot be secret, and masking every
# occurrence of them would garble ordinary words.
MIN_SECRET_LENGTH = 6


class SecretRedactor(logging.Filter):
    """Replaces known secrets, and anything in an apiKey/Authorization field, with `***`."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add_secret(self, secret: str | None) -> None:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            self._secrets.add(secret)

    def redact(self, text: str, extra_secrets: Iterable[str | None] = ()) -> str:
        """`text` with every known secret (and `extra_secrets`), and anything shaped like a key
        or bearer token, replaced by `***`."""
        for secret in (*self._secrets, *extra_secrets):
            if secret and len(secret) >= MIN_SECRET_LENGTH and secret in text:
                text = text.replace(secret, "***")
        text = _KEY_FIELD.sub(lambda m: m.group(1) + (m.group(2) or "") + "***", text)
        return _BEARER.sub(r"\1***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = self.redact(text)
        return True


def one_line(text: str, limit: int = 300) -> str:
    """`text` as one line of at most `limit` characters: what users are shown (a message with a
    line break makes Neovim ask to press Enter; a long one hides the cause)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# The one redactor: logs, messages to the user and API errors all go through it.
redactor = SecretRedactor()


def setup_logging(verbosity: int, log_file: str | None) -> None:
    """Log to a file or stderr (never stdout: it carries the protocol)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
