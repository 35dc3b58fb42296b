"""The request core: what is retried, what is not, and what a caller sees when it gives up."""

from __future__ import annotations

import httpx
import pytest

from tenantry.genesys import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    RetryPolicy,
    ServerError,
    TransportError,
    api,
)
from tenantry.genesys.models import RoleDivision

from .conftest import FakePlatform, body_of, error, ok


def _flaky(failures: list[httpx.Response | Exception], then: httpx.Response):
    def handler(request: httpx.Request) -> httpx.Response:
        if failures:
            failure = failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        return then

    return handler


async def test_transient_failures_are_retried_until_success(fake: FakePlatform) -> None:
    failures: list = [
        error(503, "service.unavailable", "later"),
        httpx.ReadTimeout("slow"),
        error(429, "too.many.requests", "slow down", {"Retry-After": "0"}),
        httpx.RemoteProtocolError("reset"),
        error(502, "bad.gateway", "gw"),
    ]
    fake.route("GET", "/api/v2/users/u1")(_flaky(failures, ok({"id": "u1", "name": "A"})))
    async with fake.client() as client:
        user = await api.users.get_user(client, "u1")
    assert user.id == "u1"
    assert fake.calls("GET", "/api/v2/users/u1") == 6
    retries = client.metrics.snapshot()["retries"]
    assert sum(retries.values()) == 5
    assert retries["GET /api/v2/users/{userId} timeout"] == 1


async def test_retries_stop_at_the_attempt_bound_with_a_typed_error(fake: FakePlatform) -> None:
    fake.route("GET", "/api/v2/users/u1")(lambda r: error(500, "internal.server.error", "boom"))
    async with fake.client(retry=RetryPolicy(max_attempts=4, base_delay=0.001)) as client:
        with pytest.raises(ServerError) as exc:
            await api.users.get_user(client, "u1")
    assert fake.calls("GET", "/api/v2/users/u1") == 4
    err = exc.value
    assert (err.status, err.code, err.message, err.correlation_id) == (
        500,
        "internal.server.error",
        "boom",
        "corr-500",
    )
    assert err.path == "/api/v2/users/{userId}"


async def test_retries_stop_at_the_elapsed_bound(fake: FakePlatform) -> None:
    fake.route("GET", "/api/v2/ping")(lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused")))
    policy = RetryPolicy(max_attempts=1000, max_elapsed=0.3, base_delay=0.05, max_delay=0.05)
    async with fake.client(retry=policy) as client:
        with pytest.raises(TransportError):
            await client.get("/api/v2/ping")
    assert 2 <= fake.calls("GET", "/api/v2/ping") < 40


async def test_other_4xx_are_final_and_typed(fake: FakePlatform) -> None:
    fake.route("GET", "/api/v2/users/gone")(lambda r: error(404, "not.found", "no such user"))
    fake.route("POST", "/api/v2/authorization/divisions")(lambda r: error(400, "invalid.value", "name bad"))
    async with fake.client() as client:
        with pytest.raises(NotFoundError) as missing:
            await api.users.get_user(client, "gone")
        with pytest.raises(BadRequestError) as bad:
            await api.divisions.create_division(client, "x")
    assert fake.calls("GET", "/api/v2/users/gone") == 1
    assert fake.calls("POST", "/api/v2/authorization/divisions") == 1
    assert (missing.value.status, missing.value.code, missing.value.correlation_id) == (
        404,
        "not.found",
        "corr-404",
    )
    assert bad.value.message == "name bad"


async def test_create_with_unknown_outcome_looks_up_instead_of_posting_again(fake: FakePlatform) -> None:
    created: dict[str, dict] = {}

    @fake.route("POST", "/api/v2/users")
    def create(request: httpx.Request) -> httpx.Response:
        body = body_of(request)
        created[body["email"]] = {"id": fake.new_id(), **body, "version": 1, "state": "active"}
        raise httpx.ReadTimeout("the write happened, the answer was lost")

    @fake.route("POST", "/api/v2/users/search")
    def search(request: httpx.Request) -> httpx.Response:
        email = body_of(request)["query"][0]["values"][0]
        hits = [created[email]] if email in created else []
        return ok({"total": len(hits), "pageCount": 1, "results": hits})

    async with fake.client() as client:
        user = await api.users.create_user(client, name="Ann", email="ann@x.example", division_id="d1")
    assert user.email == "ann@x.example" and user.id == created["ann@x.example"]["id"]
    assert fake.calls("POST", "/api/v2/users") == 1  # never sent twice
    assert client.metrics.snapshot()["retries"] == {"POST /api/v2/users found-after-unknown-outcome": 1}


async def test_create_that_did_not_happen_is_sent_again(fake: FakePlatform) -> None:
    fails = [error(503, "service.unavailable", "before the write")]

    @fake.route("POST", "/api/v2/authorization/divisions")
    def create(request: httpx.Request) -> httpx.Response:
        if fails:
            return fails.pop()
        return ok({"id": "d9", "name": body_of(request)["name"]})

    fake.route("GET", "/api/v2/authorization/divisions")(
        lambda r: ok({"entities": [], "total": 0, "pageCount": 1})
    )
    async with fake.client() as client:
        division = await api.divisions.create_division(client, "Acme")
    assert division.id == "d9"
    assert fake.calls("POST", "/api/v2/authorization/divisions") == 2
    assert fake.calls("GET", "/api/v2/authorization/divisions") == 1  # looked before sending again


async def test_409_on_versioned_update_rereads_and_reapplies(fake: FakePlatform) -> None:
    state = {"id": "u1", "name": "Ann", "title": "Agent", "department": "Ops", "version": 3}

    @fake.route("GET", "/api/v2/users/u1")
    def get(request: httpx.Request) -> httpx.Response:
        return ok(dict(state))

    @fake.route("PATCH", "/api/v2/users/u1")
    def patch(request: httpx.Request) -> httpx.Response:
        body = body_of(request)
        if state["version"] == 3:  # someone else changed the department meanwhile
            state.update(department="Sales", version=4)
        if body["version"] != state["version"]:
            return error(409, "general.conflict", "version mismatch")
        state.update({k: v for k, v in body.items() if k != "version"}, version=state["version"] + 1)
        return ok(dict(state))

    async with fake.client() as client:
        user = await api.users.update_user(client, "u1", title="Lead")
    assert (user.title, user.department, user.version) == ("Lead", "Sales", 5)
    assert fake.calls("PATCH", "/api/v2/users/u1") == 2
    assert fake.calls("GET", "/api/v2/users/u1") == 2


async def test_update_gives_up_after_bounded_conflicts(fake: FakePlatform) -> None:
    fake.route("GET", "/api/v2/groups/g1")(lambda r: ok({"id": "g1", "name": "G", "version": 1}))
    fake.route("PUT", "/api/v2/groups/g1")(lambda r: error(409, "general.conflict", "always stale"))
    async with fake.client(retry=RetryPolicy(conflict_attempts=3, base_delay=0.001)) as client:
        with pytest.raises(ConflictError):
            await api.groups.update_group(client, "g1", description="new")
    assert fake.calls("PUT", "/api/v2/groups/g1") == 3


async def test_404_on_a_just_created_object_is_retried_for_a_while(fake: FakePlatform) -> None:
    seen = {"n": 0}
    fake.route("POST", "/api/v2/authorization/divisions")(lambda r: ok({"id": "new-div", "name": "Acme"}))

    @fake.route("POST", "/api/v2/authorization/subjects/g1/bulkadd")
    def bulkadd(request: httpx.Request) -> httpx.Response:
        seen["n"] += 1
        if seen["n"] < 3:
            return error(404, "not.found", "The requested division new-div was not found.")
        return httpx.Response(204)

    fake.route("POST", "/api/v2/authorization/subjects/g2/bulkadd")(lambda r: error(404, "not.found", "old"))

    async with fake.client() as client:
        division = await api.divisions.create_division(client, "Acme")
        await api.grants.bulk_add(
            client, "g1", [RoleDivision(role_id="r1", division_id=division.id)], "PC_GROUP"
        )
        assert seen["n"] == 3
    async with fake.client() as client:
        # An id this client did not just create: a 404 is final at once.
        with pytest.raises(NotFoundError):
            await api.grants.bulk_add(
                client, "g2", [RoleDivision(role_id="r1", division_id="old")], "PC_GROUP"
            )
    assert fake.calls("POST", "/api/v2/authorization/subjects/g2/bulkadd") == 1


async def test_delete_of_something_already_gone_is_success(fake: FakePlatform) -> None:
    fails: list = [httpx.RemoteProtocolError("the delete happened, the answer was lost")]

    @fake.route("DELETE", "/api/v2/groups/g1")
    def delete(request: httpx.Request) -> httpx.Response:
        if fails:
            raise fails.pop()
        return error(404, "not.found", "gone")

    async with fake.client() as client:
        assert await api.groups.delete_group(client, "g1") is False
    assert fake.calls("DELETE", "/api/v2/groups/g1") == 2


async def test_bulk_membership_changes_respect_the_platform_limits(fake: FakePlatform) -> None:
    version = {"v": 1}
    fake.route("GET", "/api/v2/groups/g1")(lambda r: ok({"id": "g1", "name": "G", "version": version["v"]}))

    @fake.route("POST", "/api/v2/groups/g1/members")
    def add(request: httpx.Request) -> httpx.Response:
        body = body_of(request)
        assert len(body["memberIds"]) <= 50 and body["version"] == version["v"]
        version["v"] += 1
        return ok({}, status=202)

    fake.route("POST", "/api/v2/routing/queues/q1/members")(lambda r: httpx.Response(204))
    users = [f"u{i}" for i in range(230)]
    async with fake.client() as client:
        await api.groups.add_group_members(client, "g1", users + users[:10])  # duplicates dropped
        await api.queues.add_queue_members(client, "q1", users)
        await api.queues.remove_queue_members(client, "q1", users[:5])
    assert fake.calls("POST", "/api/v2/groups/g1/members") == 5
    queue_calls = [r for r in fake.requests if r.url.path == "/api/v2/routing/queues/q1/members"]
    assert [len(body_of(r)) for r in queue_calls] == [100, 100, 30, 5]
    assert queue_calls[-1].url.params["delete"] == "true"


async def test_metrics_count_calls_by_template_and_status(fake: FakePlatform) -> None:
    fails: list = [error(429, "too.many.requests", "x", {"Retry-After": "0"})]
    fake.route("GET", "/api/v2/users/u1")(_flaky(fails, ok({"id": "u1"})))
    fake.route("GET", "/api/v2/users/u2")(lambda r: ok({"id": "u2"}))
    async with fake.client() as client:
        await api.users.get_user(client, "u1")
        await api.users.get_user(client, "u2")
    snap = client.metrics.snapshot()
    assert snap["calls"]["GET /api/v2/users/{userId} 200"] == 2
    assert snap["calls"]["GET /api/v2/users/{userId} 429"] == 1
    assert snap["calls"]["POST /oauth/token 200"] == 1
    assert (snap["rate_limited"], snap["tokens_minted"], snap["total_retries"]) == (1, 1, 1)
