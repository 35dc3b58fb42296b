"""Secret redaction for logs and events: by field name, and by the shape of a bearer header.

Events are built from whitelisted fields and never hold a secret to begin with; this is the
second line, applied to every log record and every event before it leaves the process.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

REDACTED = "[redacted]"
SENSITIVE = re.compile(r"(pass(word)?|secret|token|authori[sz]ation|credential|api[_-]?key|cookie)", re.I)
BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
ALLOWED = frozenset({"secret_env", "token_ttl_seconds", "tokens_minted"})  # names of non-secrets


def sensitive(key: str) -> bool:
    return key not in ALLOWED and bool(SENSITIVE.search(key))


def scrub(value: Any) -> Any:
    """A copy of `value` with sensitive fields and bearer/basic credentials replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if isinstance(k, str) and sensitive(k) else scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", value)
    return value


def structlog_processor(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    return scrub(event_dict)
