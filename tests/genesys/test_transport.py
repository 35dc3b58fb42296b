"""The client's transport: idle keep-alive connections checked cheaply, and still correctly."""

from __future__ import annotations

import asyncio

import httpx

from tenantry.genesys import transport as tr

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    """The server answers with keep-alive and then hangs up: the next request must notice the
    closed socket before it is sent (or it fails with 'server disconnected')."""
    served = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()
        served += 1
        writer.close()  # no "Connection: close": the client believes the connection is reusable

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    made = tr.transport(httpx.Limits(max_connections=2, max_keepalive_connections=2))
    assert isinstance(made._pool._network_backend, tr._Backend)  # the cheap check is in place
    async with server, httpx.AsyncClient(transport=made) as client:
        for _ in range(3):
            response = await client.get(f"http://127.0.0.1:{port}/ping")
            assert response.json() == {}
            await asyncio.sleep(0.05)  # the hang-up reaches the idle connection
    assert served == 3


def test_a_socket_that_is_gone_reads_as_closed() -> None:
    assert tr.readable(None) is True
