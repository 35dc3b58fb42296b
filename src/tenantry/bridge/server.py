"""Run the bridge: in the foreground (`tenantry serve`) or in a thread on a free port (tests, bench)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from tenantry.bridge.service import Bridge


@dataclass
class RunningBridge:
    base_url: str
    bridge: Bridge
    app: Starlette

    def scim_url(self, source: str) -> str:
        return f"{self.base_url}/scim/v2/{source}"


def uvicorn_config(
    app: Starlette, *, proxy_headers: bool = True, log_level: str = "warning"
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        lifespan="on",
        log_level=log_level,
        access_log=False,  # request lines can carry PII (filters name users); tenantry logs what it needs
        proxy_headers=proxy_headers,
        timeout_keep_alive=75,
    )


@contextlib.contextmanager
def in_thread(app: Starlette, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningBridge]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    server = uvicorn.Server(uvicorn_config(app, log_level="error"))
    server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the bridge did not start")
        time.sleep(0.01)
    bound_host, bound_port = sock.getsockname()[:2]
    try:
        yield RunningBridge(f"http://{bound_host}:{bound_port}", app.state.bridge, app)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
