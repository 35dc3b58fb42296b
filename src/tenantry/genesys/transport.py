"""httpx's own transport, with a cheaper check of idle keep-alive connections.

Before every request and after every answer, httpcore's pool asks each idle connection whether
the server closed it ("is the socket readable?"); over anyio each such question looks the raw
socket up through a mapping of socket attributes built afresh, a getpeername() system call
included. With a pool's worth of idle connections that was a fifth of the client's CPU per
request. This backend looks the socket up once per connection and asks the same question
(poll with a zero timeout). Everything else is httpx's and httpcore's unchanged: the pool is
httpx's, built with httpx's defaults; only its network backend is wrapped.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

_SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


def transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connection pool checks idle connections cheaply; where httpcore
    is not the one this was written against, the transport is httpx's own, as it is."""
    made = httpx.AsyncHTTPTransport(limits=limits)
    pool = getattr(made, "_pool", None)
    if isinstance(pool, httpcore.AsyncConnectionPool) and isinstance(
        getattr(pool, "_network_backend", None), httpcore.AsyncNetworkBackend
    ):
        pool._network_backend = _Backend(pool._network_backend)
    return made


def readable(sock: socket.socket | None) -> bool:
    """Whether a read would return at once: on an idle connection, that the server closed it."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True  # gone: as if the next read returned the end
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._sock: socket.socket | None = inner.get_extra_info("socket")
        # the hot calls go straight to the inner stream, without a frame of their own
        self.__dict__.update(read=inner.read, write=inner.write)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._sock is not None:
            return readable(self._sock)
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[_SocketOption] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
