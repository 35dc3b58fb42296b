"""Serve a scripted platform over real HTTP (uvicorn on a free port, in a thread).

Where the emulator does not (yet) answer a way the real platform does, a test scripts that
answer here and the client under test talks to it over a real socket, exactly as to Genesys.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[httpx.Request], httpx.Response]


def asgi(handler: Handler) -> Callable:
    """A Starlette-level ASGI app that hands each request to `handler` as an httpx.Request."""

    async def app(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        request = Request(scope, receive)
        body = await request.body()
        answer = handler(
            httpx.Request(request.method, str(request.url), headers=request.headers.raw, content=body)
        )
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length",)}
        await Response(answer.content, answer.status_code, headers=headers)(scope, receive, send)

    return app


@contextlib.contextmanager
def serving(handler: Handler) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1; yield the base URL; stop the server after."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn.Config(asgi(handler), lifespan="on", log_level="critical", access_log=False)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the scripted platform did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
