"""Limits at the door: a per-source request rate (429 + Retry-After) and a request body size."""

from __future__ import annotations

import math
import re
import time

from starlette.requests import Request

from tenantry.bridge.schema import ScimError

DEFAULT_BODY_LIMIT = 1_048_576


class RateLimiter:
    """A token bucket: `limit` requests per `window` seconds, bursts up to `limit`."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.rate = limit / window
        self.tokens = float(limit)
        self.at = time.monotonic()
        self.refused = 0

    @classmethod
    def parse(cls, spec: str) -> RateLimiter:
        m = re.fullmatch(r"(\d+)/(\d+(?:\.\d+)?)s", spec.strip())
        if not m:
            raise ValueError(f"not a rate: {spec!r} (say 50/1s)")
        return cls(int(m.group(1)), float(m.group(2)))

    def take(self) -> float | None:
        """None when the request may go; else the seconds to wait before retrying."""
        now = time.monotonic()
        self.tokens = min(self.limit, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        self.refused += 1
        return (1 - self.tokens) / self.rate


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as it is known to exceed `limit` (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ScimError(413, f"the request body is larger than {limit} bytes", "tooLarge")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ScimError(413, f"the request body is larger than {limit} bytes", "tooLarge")
        chunks.append(chunk)
    return b"".join(chunks)
