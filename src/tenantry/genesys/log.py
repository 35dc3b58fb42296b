"""One structured log line per HTTP exchange, built only from fields that cannot hold a secret.

The line names the path *template* (never the filled path or query, which can carry emails),
and the client id (public), never a token, a secret or a body.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("tenantry.genesys")


def log_request(
    method: str,
    template: str,
    status: int | str,
    attempt: int,
    latency: float,
    correlation_id: str | None,
    client_id: str,
) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    fields = {
        "method": method,
        "path": template,
        "status": status,
        "attempt": attempt,
        "latency_ms": round(latency * 1000, 1),
        "correlation_id": correlation_id or "-",
        "client_id": client_id,
    }
    level = logging.WARNING if status in ("timeout", "reset") or str(status).startswith("5") else logging.INFO
    logger.log(
        level,
        "genesys %s",
        " ".join(f"{k}={v}" for k, v in fields.items()),
        extra={"genesys": fields},
    )
