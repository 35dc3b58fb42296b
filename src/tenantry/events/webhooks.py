"""Webhook delivery from the journal: signed as Standard Webhooks does, retried with backoff.

Each delivery is a POST of the CloudEvent (structured mode, `application/cloudevents+json`)
with `webhook-id` (the event id), `webhook-timestamp` (Unix seconds) and `webhook-signature`
`v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`. A secret written `whsec_<base64>`
is the Standard Webhooks form (the key is the decoded bytes); any other string is used as is.
The secret comes from the environment variable the subscription names and lives only in memory.

Delivery never runs inside a batch: the dispatcher drains due deliveries in the background
and for a bounded time after a run; what is still pending stays in the journal for the next
run or `tenantry events replay`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from tenantry.events import metrics
from tenantry.events.store import Delivery, EventStore
from tenantry.events.types import short_type

log = logging.getLogger("tenantry.events")
log.addHandler(logging.NullHandler())  # quiet unless --log-format routes it
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
TOLERANCE = 300  # seconds a receiver accepts between the timestamp and its clock


def signing_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    mac = hmac.new(signing_key(secret), f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def verify(secret: str, headers: Mapping[str, str], body: str, *, now: float | None = None) -> bool:
    """What a receiver checks: a v1 signature among those sent, and a fresh timestamp."""
    try:
        msg_id, ts = headers["webhook-id"], int(headers["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - ts) > TOLERANCE:
        return False
    want = sign(secret, msg_id, ts, body)
    return any(hmac.compare_digest(want, s) for s in headers.get("webhook-signature", "").split())


@dataclass(frozen=True)
class Subscriber:
    url: str
    types: frozenset[str]  # short names; "*" for every type
    secret: str = field(repr=False)

    def wants(self, ce_type: str) -> bool:
        return "*" in self.types or short_type(ce_type) in self.types


def subscribers_from(specs: Sequence, env: Mapping[str, str] | None = None) -> list[Subscriber]:
    """From tenants.yaml's `events.webhooks`; a missing secret variable is a KeyError naming it."""
    env = os.environ if env is None else env
    out = []
    for s in specs:
        if s.secret_env not in env:
            raise KeyError(s.secret_env)
        out.append(Subscriber(s.url, frozenset(s.events), env[s.secret_env]))
    return out


@dataclass
class Backoff:
    max_attempts: int = 6
    base: float = 0.5
    cap: float = 300.0

    def next_at(self, attempts_made: int, now: float) -> float | None:
        """When to try again after `attempts_made` attempts; None once they are spent."""
        if attempts_made >= self.max_attempts:
            return None
        delay = min(self.cap, self.base * 2 ** (attempts_made - 1))
        return now + delay * random.uniform(0.8, 1.2)


class Dispatcher:
    def __init__(
        self,
        store: EventStore,
        subscribers: Sequence[Subscriber],
        *,
        backoff: Backoff | None = None,
        timeout: float = 5.0,
        concurrency: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store = store
        self.subscribers = {s.url: s for s in subscribers}
        self.backoff = backoff or Backoff()
        self.timeout = timeout
        self.concurrency = concurrency
        self.transport = transport
        self.wake = asyncio.Event()
        self.stopping = False
        self.last_pass_delivered = 0

    def urls_for(self, event: dict) -> list[str]:
        return [s.url for s in self.subscribers.values() if s.wants(event["type"])]

    async def _send(self, http: httpx.AsyncClient, d: Delivery) -> None:
        sub = self.subscribers.get(d.url)
        if sub is None:  # a subscriber removed from tenants.yaml: kept, listed as failed
            self.store.mark_attempt(d.seq, "-", "no such subscriber in tenants.yaml", None)
            metrics.WEBHOOKS.labels("failed").inc()
            return
        ts = int(time.time())
        msg_id = d.event_id
        headers = {
            "content-type": CONTENT_TYPE,
            "webhook-id": msg_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": sign(sub.secret, msg_id, ts, d.body),
        }
        try:
            r = await http.post(d.url, content=d.body.encode(), headers=headers)
            status, error = str(r.status_code), "" if r.is_success else f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            status, error = "error", f"{type(exc).__name__}"
        if not error:
            self.store.mark_delivered(d.seq, status)
            self.last_pass_delivered += 1
            metrics.WEBHOOKS.labels("delivered").inc()
            log.info("webhook delivered", extra={"url": d.url, "event_id": msg_id, "status": status})
            return
        retry_at = self.backoff.next_at(d.attempts + 1, time.time())
        self.store.mark_attempt(d.seq, status, error, retry_at)
        outcome = "retry" if retry_at is not None else "failed"
        metrics.WEBHOOKS.labels(outcome).inc()
        log.warning("webhook %s", outcome, extra={"url": d.url, "event_id": msg_id, "status": status})

    async def deliver_due(self) -> int:
        """One pass over the deliveries due now; returns how many were attempted."""
        due = self.store.due()
        self.last_pass_delivered = 0
        if not due:
            return 0
        sem = asyncio.Semaphore(self.concurrency)
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:

            async def one(d: Delivery) -> None:
                async with sem:
                    await self._send(http, d)

            await asyncio.gather(*(one(d) for d in due))
        return len(due)

    async def drain(self, budget: float, *, while_progressing: bool = False) -> int:
        """Deliver until nothing is due or `budget` seconds are spent (waiting for retries within it).

        `while_progressing` also stops after a pass that delivered nothing: a subscriber that is
        down does not hold a run's end; its deliveries wait in the journal."""
        deadline = time.monotonic() + budget
        sent = 0
        while (remaining := deadline - time.monotonic()) > 0:
            try:  # a pass never outlasts the budget; a delivery cut short stays pending, sent again later
                attempted = await asyncio.wait_for(self.deliver_due(), remaining)
            except TimeoutError:
                break
            sent += attempted
            if while_progressing and attempted and not self.last_pass_delivered:
                break
            nxt = self.store.next_due_at()
            if nxt is None:
                break
            wait = max(0.0, nxt - time.time())
            if time.monotonic() + wait >= deadline:
                break
            await asyncio.sleep(min(wait, 0.5) if wait else 0.01)
        return sent

    async def stop(self, task: asyncio.Task, grace: float) -> None:
        """End `run` after its current pass (so no delivery is cut between sending and recording);
        cancel it if that takes longer than `grace`."""
        self.stopping = True
        self.wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """Background delivery during a run: woken by new events, never blocking the batches."""
        while not self.stopping:
            await self.wake.wait()
            self.wake.clear()
            if self.stopping:
                return
            try:
                attempted = await self.deliver_due()
            except Exception:  # a subscriber must never break provisioning
                log.exception("webhook delivery pass failed")
                attempted = 0
            if attempted and not self.last_pass_delivered:  # subscribers down: do not hammer them
                await asyncio.sleep(self.backoff.base * 4)
