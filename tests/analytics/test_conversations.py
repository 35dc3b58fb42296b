"""`tenantry conversations` over real HTTP: a tenant reads its own conversations and nothing else."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from genesys_emulator import RunningEmulator
from tenantry.cli.main import app
from tenantry.genesys import Credentials, GenesysClient, resolve_target
from tenantry.genesys.api import analytics

from .conftest import ACME, GLOBEX, Reporting, division_id, plant

TENANTS = Path(__file__).parents[2] / "examples" / "bpo" / "tenants.yaml"
QUERY = "POST /api/v2/analytics/conversations/details/query"
JOBS = "POST /api/v2/analytics/conversations/details/jobs"
RESULTS = "GET /api/v2/analytics/conversations/details/jobs/{jobId}/results"


def run(emu: RunningEmulator, *args: str):
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": emu.client_id,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": emu.client_secret,
        "GENESYSCLOUD_API_REGION": emu.base_url,
    }
    return CliRunner().invoke(
        app, ["conversations", "-c", str(TENANTS), *args], env=env, catch_exceptions=False
    )


def calls(emu: RunningEmulator, key: str) -> int:
    return sum(emu.stats()["calls"].get(key, {}).values())


def org_ids(api: httpx.Client, interval: str, division: str) -> set[str]:
    """What the org holds for one division alone in the interval, read by the operator's client."""
    div = division_id(api, division)
    job = api.post("/api/v2/analytics/conversations/details/jobs", json={"interval": interval}).json()[
        "jobId"
    ]
    for _ in range(200):
        if api.get(f"/api/v2/analytics/conversations/details/jobs/{job}").json()["state"] == "FULFILLED":
            break
        time.sleep(0.05)
    convs = (
        api.get(f"/api/v2/analytics/conversations/details/jobs/{job}/results").json().get("conversations", [])
    )
    return {c["conversationId"] for c in convs if c["divisionIds"] == [div]}


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_tenant_client_pulls_only_its_own_conversations_over_several_pages(
    reporting: Reporting, api: httpx.Client, tmp_path: Path
) -> None:
    planted = plant(reporting.emu, [ACME], 250, "2026-11-01T00:10:00Z")  # 250 × 40 min: within the week
    plant(reporting.emu, [GLOBEX], 120, "2026-11-01T00:20:00Z")
    reporting.tenant_client()
    before = calls(reporting.emu, QUERY)
    r = run(
        reporting.emu,
        "--tenant",
        "acme",
        "--interval",
        "2026-11-01/2026-11-08",
        "--format",
        "jsonl",
        "-o",
        "acme.jsonl",
        "--json",
    )
    assert r.exit_code == 0, r.output
    got = rows(tmp_path / "acme.jsonl")
    expected = org_ids(api, "2026-11-01T00:00:00Z/2026-11-08T00:00:00Z", ACME)
    assert len(expected) == 290 and set(planted) <= expected  # 250 planted + the seed's 40
    assert {g["conversation_id"] for g in got} == expected and len(got) == 290
    acme = division_id(api, ACME)
    assert all(g["division_ids"] == [acme] for g in got)
    summary = json.loads(r.stdout)
    assert summary["via"] == "tenant client acme-reporting" and summary["method"] == "query"
    assert summary["count"] == 290 and sum(summary["per_day"].values()) == 290
    assert sum(summary["per_queue"].values()) == 290 and "(no queue)" in summary["per_queue"]  # the seed's
    assert calls(reporting.emu, QUERY) - before >= 3  # 290 at 100 a page


def test_a_long_interval_goes_through_the_jobs_api(
    reporting: Reporting, api: httpx.Client, tmp_path: Path
) -> None:
    plant(reporting.emu, [ACME], 120, "2026-09-20T00:00:00Z", spacing=720)  # two months, every 12 hours
    plant(reporting.emu, [GLOBEX], 60, "2026-09-20T00:00:00Z", spacing=720)
    reporting.tenant_client()
    jobs_before, query_before = calls(reporting.emu, JOBS), calls(reporting.emu, QUERY)
    r = run(
        reporting.emu,
        "-t",
        "acme",
        "--interval",
        "2026-09-15/2026-12-15",
        "--format",
        "csv",
        "-o",
        "a.csv",
        "--json",
    )
    assert r.exit_code == 0, r.output
    assert calls(reporting.emu, JOBS) - jobs_before == 1 and calls(reporting.emu, QUERY) == query_before
    lines = (tmp_path / "a.csv").read_text().splitlines()
    expected = org_ids(api, "2026-09-15T00:00:00Z/2026-12-15T00:00:00Z", ACME)
    assert lines[0].startswith("conversation_id,") and len(lines) - 1 == len(expected) == 160
    assert {ln.split(",")[0] for ln in lines[1:]} == expected
    assert json.loads(r.stdout)["method"] == "jobs"


def test_job_results_are_read_through_every_cursor(reporting: Reporting) -> None:
    plant(reporting.emu, [ACME], 230, "2026-11-01T00:00:00Z", spacing=60)
    cid, secret = reporting.tenant_client()
    before = calls(reporting.emu, RESULTS)

    async def go() -> list:
        async with GenesysClient(resolve_target(reporting.emu.base_url), [Credentials.of(cid, secret)]) as c:
            return [
                x
                async for x in analytics.conversation_details_job(
                    c, "2026-10-01T00:00:00Z/2026-12-31T00:00:00Z", page_size=50, poll=0.05
                )
            ]

    got = asyncio.run(go())
    assert len(got) == 270 and len({c.conversation_id for c in got}) == 270
    assert calls(reporting.emu, RESULTS) - before == 6  # 270 at 50 a page


def test_without_the_tenant_secret_the_operator_client_filters_by_division(
    reporting: Reporting, api: httpx.Client, tmp_path: Path
) -> None:
    plant(reporting.emu, [ACME], 130, "2026-11-02T00:00:00Z")
    plant(reporting.emu, [GLOBEX], 130, "2026-11-02T00:00:00Z")
    r = run(
        reporting.emu,
        "-t",
        "acme",
        "--interval",
        "2026-11-01/2026-11-08",
        "--format",
        "jsonl",
        "-o",
        "o.jsonl",
        "--json",
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["via"] == "operator client + divisionId filter"
    got = rows(tmp_path / "o.jsonl")
    assert {g["conversation_id"] for g in got} == org_ids(
        api, "2026-11-01T00:00:00Z/2026-11-08T00:00:00Z", ACME
    )
    assert len(got) == 170


def test_a_conversation_of_another_division_fails_the_report_and_is_never_printed(
    reporting: Reporting, tmp_path: Path
) -> None:
    plant(reporting.emu, [ACME], 150, "2026-11-01T00:10:00Z")
    crossed = plant(reporting.emu, [ACME, GLOBEX], 1, "2026-11-03T12:00:00Z")[0]  # a transfer across tenants
    reporting.tenant_client()
    for args in (
        ["--format", "jsonl"],
        ["--format", "table"],
        ["-o", "leak.csv", "--format", "csv"],
        ["--json"],
    ):
        r = run(reporting.emu, "-t", "acme", "--interval", "2026-11-01/2026-11-08", *args)
        assert r.exit_code == 1, r.output
        assert crossed not in r.output and "another division" in r.output
        assert r.stdout == ""  # not one row of the report
    assert not (tmp_path / "leak.csv").exists()
    (tmp_path / "tenantry-secrets" / "acme-reporting.json").unlink()  # the operator's path checks the same
    r = run(reporting.emu, "-t", "acme", "--interval", "2026-11-01/2026-11-08", "--format", "jsonl")
    assert r.exit_code == 1 and crossed not in r.output and r.stdout == ""


def test_bad_input_is_refused_before_any_call(reporting: Reporting) -> None:
    for args, needle in (
        (["-t", "nope", "--interval", "2026-11-01/2026-11-08"], "tenant 'nope'"),
        (["-t", "acme", "--interval", "2026-11-08/2026-11-01"], "end must come after"),
        (["-t", "acme", "--interval", "yesterday"], "START/END"),
    ):
        r = run(reporting.emu, *args)
        assert r.exit_code == 2 and needle in r.output, r.output
