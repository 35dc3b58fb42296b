"""Structured logs: `--log-format json` (one JSON object a line) or `text`, secrets redacted.

structlog renders both tenantry's own records and the standard-library ones (the Genesys client's
request lines), so every line carries the bound context (run, batch, tenant) and passes through
the same redaction. Without `--log-format` nothing is configured and the CLI stays quiet.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, MutableMapping
from typing import Any, TextIO

import structlog

from tenantry.events.redact import structlog_processor

_EXTRA_SKIP = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _stdlib_extra(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Fields passed as `extra=` to a standard-library logger become fields of the line."""
    record = event_dict.get("_record")
    if record is not None:
        for k, v in vars(record).items():
            if k not in _EXTRA_SKIP and not k.startswith("_") and k not in event_dict:
                event_dict[k] = v
    return event_dict


def configure(
    fmt: str | None, *, level: int = logging.INFO, stream: TextIO | None = None
) -> Callable[[], None]:
    """Route tenantry's logs through structlog; returns what undoes it (a command ends, a test goes on)."""
    root = logging.getLogger("tenantry")
    saved = (root.handlers[:], root.level, root.propagate)

    def restore() -> None:
        root.handlers[:], root.level, root.propagate = saved[0], saved[1], saved[2]

    if fmt is None:
        return restore
    if fmt not in ("json", "text"):
        raise ValueError(f"--log-format must be json or text, not {fmt!r}")
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                _stdlib_extra,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog_processor,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    return restore


def get(name: str = "tenantry.events") -> Any:
    return structlog.get_logger(name)


bind = structlog.contextvars.bind_contextvars
unbind = structlog.contextvars.unbind_contextvars
