"""The emulator's analytics as the platform has it: sync limits, async jobs, permissions, SDK shapes."""

from __future__ import annotations

import time
from typing import Any

import httpx
import PureCloudPlatformClientV2 as gc
import pytest

from genesys_emulator import RunningEmulator

from .conftest import ACME, GLOBEX, Reporting, division_id, plant

QUERY = "/api/v2/analytics/conversations/details/query"
JOBS = "/api/v2/analytics/conversations/details/jobs"
WEEK = "2026-11-01T00:00:00Z/2026-11-08T00:00:00Z"


def bearer(emu: RunningEmulator, cid: str, secret: str) -> httpx.Client:
    r = httpx.post(
        emu.base_url + "/oauth/token", data={"grant_type": "client_credentials"}, auth=(cid, secret)
    )
    r.raise_for_status()
    return httpx.Client(
        base_url=emu.base_url, headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )


def wait_fulfilled(api: httpx.Client, job: str) -> list[str]:
    states = []
    for _ in range(100):
        states.append(api.get(f"{JOBS}/{job}").json()["state"])
        if states[-1] == "FULFILLED":
            return states
        time.sleep(0.05)
    raise AssertionError(states)


def test_synchronous_query_limits(api: httpx.Client) -> None:
    too_long = api.post(QUERY, json={"interval": "2026-10-01T00:00:00Z/2026-11-02T00:00:00Z"})
    assert too_long.status_code == 400 and "31 days" in too_long.json()["message"]
    assert api.post(QUERY, json={"interval": "2026-10-02T00:00:00Z/2026-11-02T00:00:00Z"}).status_code == 200
    assert api.post(QUERY, json={"interval": WEEK, "paging": {"pageSize": 101}}).status_code == 400
    assert api.post(QUERY, json={"interval": WEEK, "paging": {"pageNumber": 0}}).status_code == 400


def test_jobs_queue_then_answer_through_a_cursor(reporting: Reporting, api: httpx.Client) -> None:
    planted = plant(reporting.emu, [ACME], 230, "2026-09-01T00:00:00Z", spacing=300)  # ~48 days
    acme = division_id(api, ACME)
    body = {
        "interval": "2026-08-01T00:00:00Z/2026-12-01T00:00:00Z",
        "conversationFilters": [{"type": "or", "predicates": [{"dimension": "divisionId", "value": acme}]}],
    }
    submitted = api.post(JOBS, json=body)
    assert submitted.status_code == 202
    job = submitted.json()["jobId"]
    early = api.get(f"{JOBS}/{job}/results")
    assert early.status_code == 400 and "QUEUED" in early.json()["message"]
    states = wait_fulfilled(api, job)
    assert states[0] == "QUEUED" and states[-1] == "FULFILLED"
    ids, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"pageSize": 100} | ({"cursor": cursor} if cursor else {})
        page = api.get(f"{JOBS}/{job}/results", params=params).json()
        ids += [c["conversationId"] for c in page.get("conversations", [])]
        assert all(c["divisionIds"] == [acme] for c in page.get("conversations", []))
        pages += 1
        cursor = page.get("cursor")
        if not cursor:
            break
    assert pages == 3  # 270 = 230 planted + the seed's 40, at 100 a page
    assert len(ids) == len(set(ids)) == 270 and set(planted) <= set(ids)
    assert api.post(JOBS, json={**body, "paging": {"pageSize": 10}}).status_code == 400
    assert api.get(f"{JOBS}/{job}/results", params={"cursor": "bm9wZTox"}).status_code == 400
    assert api.get(f"{JOBS}/{job}/results", params={"pageSize": 1001}).status_code == 400


def test_a_job_belongs_to_its_caller_and_sees_what_it_may(reporting: Reporting, api: httpx.Client) -> None:
    plant(reporting.emu, [GLOBEX], 50, "2026-11-02T00:00:00Z")
    cid, secret = reporting.tenant_client()
    with bearer(reporting.emu, cid, secret) as tenant:
        job = tenant.post(JOBS, json={"interval": WEEK}).json()["jobId"]
        wait_fulfilled(tenant, job)
        convs = tenant.get(f"{JOBS}/{job}/results").json()["conversations"]
        assert {d for c in convs for d in c["divisionIds"]} == {division_id(api, ACME)}  # no Globex at all
        assert api.get(f"{JOBS}/{job}").status_code == 404  # the operator's client does not see it
        assert tenant.delete(f"{JOBS}/{job}").status_code == 204
        assert tenant.get(f"{JOBS}/{job}").status_code == 404


def test_either_listed_permission_is_enough(reporting: Reporting, api: httpx.Client) -> None:
    """The CLI lists analytics:conversationDetail:view OR analytics:agentConversationDetail:view."""
    cid, secret = reporting.tenant_client("acme-agent-app", role="Agent")  # agentConversationDetail only
    with bearer(reporting.emu, cid, secret) as agent:
        r = agent.post(QUERY, json={"interval": WEEK, "paging": {"pageSize": 100}})
        assert r.status_code == 200 and r.json()["totalHits"] == 40
        assert agent.post(JOBS, json={"interval": WEEK}).status_code == 202
    cid, secret = reporting.tenant_client("acme-no-analytics", role="employee")
    with bearer(reporting.emu, cid, secret) as nobody:
        assert nobody.post(QUERY, json={"interval": WEEK}).status_code == 403
        assert nobody.post(JOBS, json={"interval": WEEK}).status_code == 403


@pytest.fixture
def sdk(emu: RunningEmulator) -> gc.ApiClient:
    client = gc.api_client.ApiClient(host=emu.base_url)
    client.get_client_credentials_token(emu.client_id, emu.client_secret)
    return client


def test_the_official_sdk_reads_jobs(sdk: gc.ApiClient, reporting: Reporting) -> None:
    plant(reporting.emu, [ACME], 20, "2026-11-05T00:00:00Z")
    conv = gc.ConversationsApi(sdk)
    query = gc.AsyncConversationQuery()
    query.interval = "2026-10-01T00:00:00.000Z/2026-12-01T00:00:00.000Z"
    query.order = "asc"
    job = conv.post_analytics_conversations_details_jobs(query)
    assert isinstance(job, gc.AsyncQueryResponse) and job.job_id
    for _ in range(100):
        status = conv.get_analytics_conversations_details_job(job.job_id)
        if status.state == "FULFILLED":
            break
        assert status.state == "QUEUED"
        time.sleep(0.05)
    assert status.state == "FULFILLED" and status.submission_date is not None
    page = conv.get_analytics_conversations_details_job_results(job.job_id, page_size=100)
    assert isinstance(page, gc.AnalyticsConversationAsyncQueryResponse) and page.cursor
    assert "outdated_sdk_version" not in repr(page.to_dict())
    seen = len(page.conversations)
    while page.cursor:
        page = conv.get_analytics_conversations_details_job_results(
            job.job_id, cursor=page.cursor, page_size=100
        )
        seen += len(page.conversations)
    assert seen == 140  # the seed's 120 and 20 planted
    acd = next(p for p in page.conversations[-1].participants if p.purpose == "acd")
    assert acd.sessions[0].segments[0].queue_id
