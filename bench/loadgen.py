"""A minimal keep-alive HTTP/1.1 load generator on asyncio streams.

The emulator's own throughput must be measured with a client lighter than the server, which a
general-purpose client library is not; this one only writes requests and reads by Content-Length.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    requests: int
    seconds: float
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else 0.0


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def run_load(
    base_url: str, paths: Callable[[int], str], *, headers: dict[str, str], connections: int, total: int
) -> LoadResult:
    """`total` GETs spread over `connections` keep-alive connections; paths(i) gives the i-th path."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    counter = iter(range(total))
    result = LoadResult(total, 0.0)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in counter:
                req = f"GET {paths(i)} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode()
                t = time.perf_counter()
                writer.write(req)
                status = await _read_response(reader)
                result.latencies.append(time.perf_counter() - t)
                result.statuses[status] += 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - start
    return result
