"""The evidence block every rendering states: which org, read when, by which tenantry, against which
tenants.yaml, which rules ran with what result, and whether the auditing client saw everything.

A security officer signs a report only if it says what it covered; `collect` gathers the facts at
the edge (the CLI), `block` is what the renderings print.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tenantry.audit.catalogue import RULES
from tenantry.audit.model import AuditResult


def tenantry_version() -> str:
    try:
        return version("tenantry")
    except PackageNotFoundError:
        return "unknown"


def collect(
    result: AuditResult, *, config: Path | None, target: str, taken_at: datetime | None = None
) -> None:
    """Attach the facts only the caller knows (the config file, the target, the clock) to the result."""
    digest = hashlib.sha256(config.read_bytes()).hexdigest() if config is not None else None
    result.evidence = {
        "org": dict(result.snapshot.org) or None,
        "target": target,
        "tenantry_version": tenantry_version(),
        "config": {"file": config.name, "sha256": digest} if config is not None else None,
        "taken_at": (taken_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def rule_results(result: AuditResult) -> list[dict[str, Any]]:
    """Per rule: passed (evaluated, no finding), failed (findings), or skipped (and why)."""
    counts: dict[str, int] = {}
    for f in result.findings:
        counts[f.rule] = counts.get(f.rule, 0) + 1
    out = []
    for r in RULES.values():
        skipped = result.skipped.get(r.id)
        status = "skipped" if skipped else ("failed" if counts.get(r.id) else "passed")
        out.append({"id": r.id, "name": r.name, "status": status, "findings": counts.get(r.id, 0)})
    return out


def block(result: AuditResult) -> dict[str, Any]:
    """The JSON `evidence` object (SCHEMA.md); the other formats print the same facts."""
    ev = result.evidence
    rules = rule_results(result)
    vis = result.visibility
    return {
        "org": ev.get("org"),
        "target": ev.get("target"),
        "tenantry_version": ev.get("tenantry_version") or tenantry_version(),
        "config": ev.get("config"),
        "taken_at": ev.get("taken_at"),
        "scope": result.scope,
        "visibility": vis.to_json() if vis is not None else {"complete": None, "missing": {}},
        "directory": {
            "open": result.snapshot.directory_open,
            "probed_with": result.snapshot.directory_probe or None,
        },
        "rules_evaluated": sum(r["status"] != "skipped" for r in rules),
        "rules_passed": sum(r["status"] == "passed" for r in rules),
        "rules_failed": sum(r["status"] == "failed" for r in rules),
        "rules": rules,
    }


def lines(result: AuditResult) -> list[tuple[str, str]]:
    """(label, value) pairs for the table, markdown and HTML renderings."""
    b = block(result)
    org = b["org"] or {}
    cfg = b["config"]
    vis = result.visibility
    passed = [r["id"] for r in b["rules"] if r["status"] == "passed"]
    failed = [f"{r['id']} ({r['findings']})" for r in b["rules"] if r["status"] == "failed"]
    skipped = [r["id"] for r in b["rules"] if r["status"] == "skipped"]
    out = [
        ("org", f"{org.get('name', 'unknown')} (id {org.get('id', 'unknown')})"),
        ("target", b["target"] or "unknown"),
        ("taken at", b["taken_at"] or "unknown"),
        ("tenantry", b["tenantry_version"]),
        (
            "tenants.yaml",
            f"{cfg['file']} sha256 {cfg['sha256']}" if cfg else "none (every non-Home division)",
        ),
        ("visibility", vis.sentence() if vis is not None else "not proven (no auditing client recorded)"),
        ("directory", _directory(result)),
        (
            "rules",
            f"{b['rules_evaluated']} evaluated: {b['rules_passed']} passed ({', '.join(passed) or '—'}), "
            f"{b['rules_failed']} failed ({', '.join(failed) or '—'})"
            + (f"; skipped {', '.join(skipped)}" if skipped else ""),
        ),
    ]
    if result.scope:
        out.insert(
            0, ("report for", f"tenant {result.scope} only: other tenants' people and names are withheld")
        )
    return out


def _directory(result: AuditResult) -> str:
    s = result.snapshot
    if s.directory_open is None:
        return "unknown: tenantry holds no tenant OAuth client secret to ask with"
    state = "OPEN: a tenant client reads other tenants' people" if s.directory_open else "restricted"
    return f"{state} (asked as tenant client {s.directory_probe})"


def incomplete_banner(result: AuditResult) -> str | None:
    """The sentence every page of a partial report carries; None for a complete one."""
    if result.complete:
        return None
    assert result.visibility is not None
    return f"INCOMPLETE REPORT (--partial): {result.visibility.sentence()}. Findings may be missing."
