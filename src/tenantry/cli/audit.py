"""`tenantry audit`: read the org, report every way one tenant can reach another.

Exit codes, so the audit can gate a pipeline: 0 nothing at or above `--fail-on` (default high),
1 something is, 2 the audit could not run (bad tenants.yaml or option, missing credentials,
unreachable org, an output folder that does not exist) or would be wrong: the auditing client
cannot see every division and `--partial` was not given. The lead mounts it with
`app.command("audit")(audit_command)`.
"""

from __future__ import annotations

import asyncio
import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tenantry.audit.engine import AuditResult, audit
from tenantry.cli.common import Io, LogFormatOpt, MetricsFileOpt, ProfileOpt, TargetOpt, WideOpt
from tenantry.cli.events import observed
from tenantry.cli.render_audit import print_audit
from tenantry.config import tenants as config_mod
from tenantry.domain.model import Snapshot
from tenantry.errors import InputError
from tenantry.genesys import ConfigError, GenesysError
from tenantry.genesys.config import GenesysSettings
from tenantry.reports.evidence import collect
from tenantry.reports.tenant_view import for_tenant
from tenantry.services import saved as svc_saved


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


def _read_org(
    cfg: config_mod.Config | None, profile: str | None, target: str | None, err: Console
) -> tuple[Snapshot, str]:
    """The snapshot, and the API base URL it was read from (for the evidence block)."""
    from tenantry.services.runtime import client_for, settings_for, snapshot_with_progress

    settings = settings_for(cfg, profile, target)

    async def go() -> Snapshot:
        client = client_for(settings)
        try:
            snap = await snapshot_with_progress(client, err)
        finally:
            await client.aclose()
        snap.directory_open, snap.directory_probe = await _probe_directory(settings, cfg, snap)
        return snap

    return asyncio.run(go()), settings.target.api_base


async def _probe_directory(
    settings: GenesysSettings, cfg: config_mod.Config | None, snap: Snapshot
) -> tuple[bool | None, str]:
    """Can a tenant's own OAuth client read people outside its tenant (the open directory)?

    Asked, read-only, with the secret tenantry saved when it created that client (tenantry-secrets/
    next to tenants.yaml): a listing of /api/v2/users that shows anyone outside the client's own
    division answers yes. Without such a secret the answer is unknown (None)."""
    from tenantry.genesys import Credentials, GenesysClient
    from tenantry.genesys.api import users

    if cfg is None:
        return None, ""
    divisions = snap.division_by_name()
    for spec in cfg.tenants.values():
        own = divisions.get(spec.division.lower())
        for c in spec.oauth_clients:
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in c.name)
            path = cfg.secrets_dir / f"{safe}.json"
            if own is None or not path.is_file():
                continue
            try:
                saved = json.loads(path.read_text())
                creds = Credentials.of(saved["client_id"], saved["client_secret"])
            except (OSError, ValueError, KeyError):
                continue
            async with GenesysClient(settings.target, [creds], rate_limit=settings.rate_limit) as probe:
                try:
                    seen = (await users.list_users(probe, state="active")).users
                except GenesysError as exc:
                    if getattr(exc, "status", None) in (401, 400):
                        continue  # the saved secret no longer works: ask another client
                    return False, c.name  # refused: the directory is closed to it
            return any(u.division is not None and u.division.id != own.id for u in seen), c.name
    return None, ""


def _fail(io: Io, message: str) -> typer.Exit:
    return io.fail(message, 2)


def audit_command(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="tenants.yaml; without it every non-Home division is a tenant."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Report format.")] = Format.table,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report (or, with --fix, the plan) to FILE."),
    ] = None,
    fail_on: Annotated[
        Severity, typer.Option("--fail-on", help="Exit 1 when a finding at or above this severity exists.")
    ] = Severity.high,
    fix: Annotated[
        bool, typer.Option("--fix", help="Write a remediation plan to -o FILE for `tenantry apply FILE`.")
    ] = False,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial", help="Report even when the client cannot see every division; marked INCOMPLETE."
        ),
    ] = False,
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", help="A report for one tenant (key): no other tenant's people or names."),
    ] = None,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    wide: WideOpt = False,
    metrics_file: MetricsFileOpt = None,
    log_format: LogFormatOpt = None,
) -> None:
    """Prove that no tenant can reach another, and show where one can."""
    io = Io(wide, as_json=fmt == Format.json and output is None)
    out, err = io.out, io.err
    if fix and output is None:
        raise _fail(io, "--fix writes a remediation plan: give it a file with -o, e.g. --fix -o fix.json")
    if output is not None and not output.parent.is_dir():
        raise _fail(io, f"cannot write {output}: folder {output.parent} does not exist")
    if fix and tenant:
        raise _fail(io, "--fix plans for the whole org; run it without --tenant")
    try:
        cfg = config_mod.load(config) if config is not None else None
        with observed(None, log_format):  # request logs in the chosen format; metrics written below
            snap, api_base = _read_org(cfg, profile, target, err)
    except InputError as exc:
        raise io.input_error(exc, 2) from None
    except (ConfigError, GenesysError) as exc:
        raise _fail(io, str(exc)) from None
    result = audit(snap, cfg)
    if not result.complete and not partial:
        assert result.visibility is not None
        raise _fail(
            io,
            f"the audit would be wrong: {result.visibility.sentence()}. Grant those view permissions on all "
            "divisions, or rerun with --partial for a report marked INCOMPLETE",
        )
    with observed(metrics_file, log_format):
        from tenantry.events.runtime import audit_findings

        try:
            audit_findings(cfg, result.findings)  # leak_found events, findings metrics
        except InputError as exc:
            raise _fail(io, str(exc)) from None
    collect(result, config=config, target=api_base)
    if tenant is not None:
        if tenant not in result.tenancy.tenants:
            known = ", ".join(sorted(result.tenancy.tenants)) or "none"
            raise _fail(io, f"--tenant {tenant!r} is not a tenant (tenants: {known})")
        result = for_tenant(result, tenant)
    if fix:
        _write_fix(result, cfg, output, out)
    else:
        _write_report(result, fmt.value, output, out, err)
    if result.at_or_above(fail_on.value):
        raise typer.Exit(1)


def _write_report(result: AuditResult, fmt: str, output: Path | None, out: Console, err: Console) -> None:
    from tenantry.reports import render
    from tenantry.reports.json_report import write_json
    from tenantry.reports.table import headline

    if fmt == "table" and output is None:
        print_audit(out, result)
        return
    when = result.evidence.get("taken_at") or time.strftime("%Y-%m-%d %H:%M:%S %Z")
    if output is None:
        out.file.write(render(result, fmt, generated_at=when))
        return
    if fmt == "json":  # streamed: a 50,000-user report is never held twice in memory
        with output.open("w") as fp:
            write_json(result, fp, generated_at=when)
    else:
        output.write_text(render(result, fmt, generated_at=when))
    err.print(headline(result))
    err.print(f"{fmt} report written to {escape(str(output))}")


def _write_fix(result: AuditResult, cfg: config_mod.Config | None, output: Path | None, out: Console) -> None:
    from tenantry.planning.remediation import remediation_plan

    assert output is not None
    plan = remediation_plan(result, cfg)
    output.write_text(json.dumps(svc_saved.signed(plan.to_json()), indent=1))  # apply trusts it
    print_audit(out, result)
    out.print(
        f"Remediation plan: {plan.changes} batch(es), {len(plan.warnings)} item(s) left to a person; "
        f"written to {escape(str(output))}. Review it, then run `tenantry apply {escape(str(output))}`."
    )
    for w in plan.warnings:
        out.print(f"  [yellow]manual:[/yellow] {escape(w)}")
