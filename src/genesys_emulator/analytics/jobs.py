"""Asynchronous conversation details jobs: submit, poll, read results through a cursor.

A job answers what its caller could see when it was submitted (the platform runs it later, so
a grant removed afterwards does not shorten it). It is QUEUED for `delay` seconds, then
FULFILLED; results are read in pages named by an opaque cursor, the last page carrying none.
Jobs belong to the OAuth client that submitted them: another client's job is not found.
Jobs are volatile (never saved with the org).
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..errors import ApiError, bad_request, not_found
from .models import parse_interval, select

RESULTS_PAGE_DEFAULT = 1000
RESULTS_PAGE_MAX = 1000
EXPIRES_AFTER = timedelta(days=1)
ASYNC_ONLY = ("interval", "conversationFilters", "segmentFilters", "order", "orderBy", "limit")


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Job:
    id: str
    owner: str
    results: list[dict]
    submitted: float
    ready_at: float
    state_override: str | None = None

    def state(self, now: float) -> str:
        if self.state_override:
            return self.state_override
        return "FULFILLED" if now >= self.ready_at else "QUEUED"

    def status(self, now: float) -> dict:
        out = {
            "state": self.state(now),
            "submissionDate": _iso(self.submitted),
            "expirationDate": _iso(self.submitted + EXPIRES_AFTER.total_seconds()),
        }
        if out["state"] == "FULFILLED":
            out["completionDate"] = _iso(self.ready_at)
        return out


@dataclass
class JobStore:
    delay: float = 0.2
    jobs: dict[str, Job] = field(default_factory=dict)
    org_key: int = 0  # the org the jobs were run on; a reset org forgets them

    def for_org(self, org: object) -> JobStore:
        if self.org_key != id(org):
            self.jobs.clear()
            self.org_key = id(org)
        return self

    def submit(self, owner: str, conversations: list[dict], body: dict, visible: set[str] | None) -> str:
        unknown = sorted(set(body) - set(ASYNC_ONLY))
        if unknown:
            raise bad_request(
                f"{', '.join(unknown)} is not part of an asynchronous details query "
                "(results are paged with the cursor of GET …/jobs/{jobId}/results).",
                "invalid.value",
            )
        parse_interval(body.get("interval"))
        hits = select(conversations, body, visible)
        limit = body.get("limit")
        if limit is not None:
            if not isinstance(limit, int) or limit < 1:
                raise bad_request("limit must be a positive integer.", "invalid.value")
            hits = hits[:limit]
        now = time.time()
        job = Job(str(uuid.uuid4()), owner, hits, now, now + self.delay)
        self.jobs[job.id] = job
        return job.id

    def get(self, owner: str, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None or job.owner != owner:
            raise not_found("analytics job", job_id)
        return job

    def results(self, owner: str, job_id: str, cursor: str | None, size: int) -> dict:
        job = self.get(owner, job_id)
        state = job.state(time.time())
        if state != "FULFILLED":
            raise ApiError(
                400, "bad.request", f"The job {job_id} is {state}; results are available once FULFILLED."
            )
        start = _offset(cursor, job.id) if cursor else 0
        page = job.results[start : start + size]
        out: dict = {"dataAvailabilityDate": _iso(job.ready_at)}
        if page:
            out["conversations"] = page
        if start + size < len(job.results):
            out["cursor"] = base64.urlsafe_b64encode(f"{job.id}:{start + size}".encode()).decode()
        return out

    def delete(self, owner: str, job_id: str) -> None:
        self.get(owner, job_id)
        del self.jobs[job_id]


def _offset(cursor: str, job_id: str) -> int:
    try:
        job, _, n = base64.urlsafe_b64decode(cursor.encode()).decode().rpartition(":")
        if job == job_id:
            return max(0, int(n))
    except (ValueError, UnicodeDecodeError):
        pass
    raise bad_request(f"cursor {cursor!r} is not a cursor of this job.", "invalid.value")
