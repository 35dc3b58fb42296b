"""A saved plan is untrusted input: it is signed when saved and vetted before it is applied.

`tenantry plan -o` signs the plan with a key kept on this machine (HMAC-SHA256; the key file is
created once, mode 600). `tenantry apply plan.json` then needs tenants.yaml: the guard rails come
from there and from the org, never from the file; every batch must pass them; and every batch must
be either covered by a valid signature or one that a fresh diff of tenants.yaml and the people feed
would produce (`--people`). Any other batch is refused by name, and nothing is applied.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from tenantry.config.tenants import Config
from tenantry.errors import InputError, Problem
from tenantry.execution.guard import Guard, GuardError
from tenantry.planning.batching import Batch
from tenantry.planning.ops import Op
from tenantry.planning.plan import Plan
from tenantry.planning.planfile import parse

KEY_ENV = "TENANTRY_PLAN_KEY"  # a path; default ~/.config/tenantry/plan.key


class Refused(Exception):
    """Nothing was done: the sentence says why."""


def key_path() -> Path:
    return Path(os.environ.get(KEY_ENV) or Path.home() / ".config" / "tenantry" / "plan.key")


def _key(create: bool) -> bytes | None:
    path = key_path()
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        if not create:
            return None
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def _digest(data: dict[str, Any], key: bytes) -> str:
    body = {k: v for k, v in data.items() if k != "signature"}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hmac.new(key, raw, hashlib.sha256).hexdigest()


def signed(data: dict[str, Any]) -> dict[str, Any]:
    """The plan JSON with this machine's signature."""
    key = _key(create=True)
    assert key is not None
    return data | {"signature": _digest(data, key)}


def load_saved(path: Path) -> Plan:
    """A saved plan, validated (InputError naming file and line otherwise). `plan.signature` is kept
    only when it is this machine's signature over exactly this content."""
    try:
        text = path.read_text()
    except OSError as exc:
        why = f"not a tenantry plan: cannot read it ({exc.strerror})"
        raise InputError([Problem(str(path), None, "", why)]) from None
    model = parse(text, str(path))
    plan = Plan.from_file(model)
    key = _key(create=False)
    data = json.loads(text)
    valid = (
        key is not None
        and model.signature is not None
        and hmac.compare_digest(model.signature, _digest(data, key))
    )
    plan.signature = model.signature if valid else None
    plan.source = str(path)
    plan.tampered = model.signature is not None and not valid
    return plan


def _atoms(b: Batch) -> set[tuple[str, str, str]]:
    """A batch as single changes: people or grants are chunked differently from run to run."""
    items = b.items or [None]
    return {(str(b.op), b.target.lower(), json.dumps(i, sort_keys=True).lower()) for i in items}


def vet(plan: Plan, config: Config | None, guard: Guard, fresh: Plan | None, done: set[str]) -> None:
    """Refuse (naming them) the batches of a saved plan that tenantry would not run."""
    source = plan.source or "the plan"
    if config is None:
        raise Refused(
            f"{source}: tenants.yaml (-c) is required with a saved plan: the guard rails come from it"
        )
    bad: list[str] = []
    for b in plan.batches:
        try:
            guard.check(b)
        except GuardError as exc:
            bad.append(f"batch {b.id}: {exc}")
    if not plan.signature and fresh is None:
        why = "its signature does not match (edited?)" if plan.tampered else "it is not signed"
        bad.append(f"{why}; give --people so every batch can be checked against a fresh plan, or plan again")
    elif not plan.signature and fresh is not None:
        allowed = set().union(*(_atoms(b) for b in fresh.batches))
        bad += [
            f"batch {b.id} ({b.op} on {b.target}): a fresh plan would not do this"
            for b in plan.batches
            if b.id not in done and _atoms(b) - allowed
        ]
    if bad:
        raise Refused(f"{source}: refused, nothing applied:\n  " + "\n  ".join(bad))


def revoked_people(plan: Plan) -> int:
    """Counted from the batches themselves, not from the file's summary."""
    out = {e for b in plan.batches if b.phase == "revoke" for e in b.people()}
    out |= {e for b in plan.batches if b.op == Op.USER_MOVE for e in b.people()}
    return len(out)
