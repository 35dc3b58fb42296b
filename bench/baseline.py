"""The field's usual approach, as the seed scripts do it: one person at a time, synchronously.

For each person: check the email is free (users search), create the user, grant each role
(one call per role), add to the group (read its version, then add), add to each queue.
It honours Retry-After on 429 and nothing more: no pacing, no batching, no concurrency.
Written against the real API paths, since the seeds' own SDK classes do not exist.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx


@dataclass
class BaselineResult:
    people: int
    calls: int
    rate_limited: int
    seconds: float


class SeedStyleScript:
    def __init__(self, base_url: str, client_id: str, secret: str) -> None:
        token = httpx.post(
            f"{base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            timeout=30,
        ).json()["access_token"]
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        self.calls = 0
        self.rate_limited = 0

    def call(self, method: str, path: str, **kw) -> httpx.Response:
        while True:
            self.calls += 1
            r = self.http.request(method, path, **kw)
            if r.status_code != 429:
                r.raise_for_status()
                return r
            self.rate_limited += 1
            time.sleep(float(r.headers.get("Retry-After", "1")))

    def onboard(
        self,
        email: str,
        name: str,
        division_id: str,
        role_ids: list[str],
        group_id: str,
        queue_ids: list[str],
    ) -> None:
        found = self.call(
            "POST",
            "/api/v2/users/search",
            json={"query": [{"type": "EXACT", "fields": ["email"], "values": [email]}]},
        ).json()
        if found["total"]:
            return
        user = self.call(
            "POST", "/api/v2/users", json={"name": name, "email": email, "divisionId": division_id}
        ).json()
        for role in role_ids:
            self.call(
                "POST", f"/api/v2/authorization/subjects/{user['id']}/divisions/{division_id}/roles/{role}"
            )
        version = self.call("GET", f"/api/v2/groups/{group_id}").json()["version"]
        self.call(
            "POST", f"/api/v2/groups/{group_id}/members", json={"memberIds": [user["id"]], "version": version}
        )
        for q in queue_ids:
            self.call("POST", f"/api/v2/routing/queues/{q}/members", json=[{"id": user["id"]}])

    def close(self) -> None:
        self.http.close()
