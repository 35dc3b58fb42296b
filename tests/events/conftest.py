"""A real HTTP webhook receiver for the tests: it records what arrives, checks signatures, can fail,
be slow, or be down."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tenantry.events.webhooks import verify

SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtaHItd2ViaG9vay10ZXN0cw=="  # base64 of a test key


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    status: int
    signature_ok: bool


@dataclass
class Receiver:
    secret: str = SECRET
    fail_next: int = 0  # answer 500 to this many requests
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/hr"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    status = 500 if receiver.fail_next > 0 else 204
                    receiver.fail_next -= status == 500
                    ok = verify(receiver.secret, headers, body)
                    if not ok:
                        status = 401
                    receiver.received.append(Received(headers, body, status, ok))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.status < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()
