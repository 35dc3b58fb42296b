"""Fixtures for the client layer: a scripted fake platform (httpx.MockTransport) and the emulator.

Unit tests swap the transport, not the code: the GenesysClient under test is the real one.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tenantry.genesys import Credentials, GenesysClient, RetryPolicy, resolve_target

BASE = "https://api.mypurecloud.ie"
SECRET = "s3cr3t-value-never-logged"


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakePlatform:
    """A scripted platform: the token endpoint plus whatever routes a test adds."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    tokens_minted: int = 0
    token_lifetime: int = 86400
    token_script: list[httpx.Response] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes[(method, path)] = handler
            return handler

        return register

    def calls(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.url.path == path)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/oauth/token":
            if self.token_script:
                return self.token_script.pop(0)
            self.tokens_minted += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"tok-{self.tokens_minted}",
                    "token_type": "bearer",
                    "expires_in": self.token_lifetime,
                },
            )
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            return error(404, "not.found", f"no route {request.method} {request.url.path}")
        return handler(request)

    def client(self, n_clients: int = 1, **kwargs: Any) -> GenesysClient:
        kwargs.setdefault(
            "retry", RetryPolicy(base_delay=0.001, max_delay=0.01, fresh_404_window=2.0, index_lag=0.0)
        )
        creds = [Credentials.of(f"client-{i}", f"{SECRET}-{i}") for i in range(n_clients)]
        return GenesysClient(
            resolve_target(BASE), creds, transport=httpx.MockTransport(self.handle), **kwargs
        )

    def new_id(self) -> str:
        return f"id-{next(self._ids)}"


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"message": message, "code": code, "status": status, "contextId": "ctx"}
    return httpx.Response(
        status, json=body, headers={"ININ-Correlation-Id": f"corr-{status}", **(headers or {})}
    )


def ok(body: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {}, headers=headers)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


@pytest.fixture
def fake() -> FakePlatform:
    return FakePlatform()


@pytest.fixture(scope="session")
def emulator(emulator_session: Any) -> Any:
    """The suite's one emulator (tests/conftest.py), for fixtures that seed it themselves."""
    return emulator_session


@pytest.fixture
def demo(emu: Any) -> Any:
    """The suite's emulator, reset to the demo org: no faults, a roomy rate limit, no delay."""
    return emu


def emu_client(emu: Any, **kwargs: Any) -> GenesysClient:
    kwargs.setdefault("timeout", 2.0)
    return GenesysClient(
        resolve_target(emu.base_url), [Credentials.of(emu.client_id, emu.client_secret)], **kwargs
    )
