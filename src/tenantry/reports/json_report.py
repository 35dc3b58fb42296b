"""The JSON report: `{schema, evidence, summary, findings, access, matrix, sha256}` (SCHEMA.md).

Stable keys, no secrets, ids and names side by side so a consumer needs no second lookup.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import TextIO

from tenantry.audit.engine import AccessRow, AuditResult, Finding, Ref, access_matrix
from tenantry.reports.common import summary
from tenantry.reports.evidence import block

SCHEMA = "tenantry.audit/1"


def _ref(r: Ref | None, with_type: bool = True) -> dict | None:
    if r is None:
        return None
    return {"type": r.type, "id": r.id, "name": r.name} if with_type else {"id": r.id, "name": r.name}


def finding_json(f: Finding) -> dict:
    return {
        "rule": f.rule,
        "rule_name": f.rule_info.name,
        "severity": f.severity,
        "subject": _ref(f.subject),
        "tenant": f.tenant,
        "division": _ref(f.division, with_type=False),
        "role": _ref(f.role, with_type=False),
        "path": f.path,
        "via": _ref(f.via),
        "member": _ref(f.member),
        "why": f.why,
        "why_it_matters": f.rule_info.why,
        "fix": f.fix,
    }


def matrix_json(result: AuditResult) -> dict:
    m = access_matrix(result)
    return {
        "rows": m.rows,
        "columns": [
            {"id": c.id, "name": c.name, "tenant": result.tenancy.of_division.get(c.id)} for c in m.columns
        ],
        "cells": [
            [
                {"view": cell.view, "change": cell.change, "kind": cell.kind}
                for cell in (m.cells[(row, c.id)] for c in m.columns)
            ]
            for row in m.rows
        ],
    }


def to_json(result: AuditResult, *, generated_at: str = "") -> dict:
    """The report as one dict (for tests and small orgs); `render_json` streams the same document,
    and adds `sha256`, the digest of its own text before that key."""
    return {
        "schema": SCHEMA,
        "evidence": block(result),
        "summary": summary(result, generated_at),
        "findings": [finding_json(f) for f in result.findings],
        "access": [row._asdict() for row in result.access],
        "matrix": matrix_json(result),
    }


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


class _Hashing:
    """Writes through to `out` and hashes every character written (as UTF-8)."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.h = out, hashlib.sha256()

    def write(self, text: str) -> None:
        self.out.write(text)
        self.h.update(text.encode())


def write_json(result: AuditResult, out: TextIO, *, generated_at: str = "") -> str:
    """Stream the document: one finding or access row a line, so a 50,000-user report never exists
    twice in memory (as objects and as text) and still diffs and greps line by line.

    The last key, `sha256`, is the SHA-256 of every byte of the file before the line that holds it
    (`verify_digest` checks it). Returns the digest."""
    fields = AccessRow._fields
    w = _Hashing(out)
    head = json.dumps(summary(result, generated_at), ensure_ascii=False, indent=1)
    evidence = json.dumps(block(result), ensure_ascii=False, indent=1)
    w.write(f'{{"schema": {_dump(SCHEMA)},\n"evidence": {evidence},\n"summary": {head},\n"findings": [')
    for i, f in enumerate(result.findings):
        w.write(("\n " if i == 0 else ",\n ") + _dump(finding_json(f)))
    w.write('\n],\n"access": [')
    for i, row in enumerate(result.access):
        w.write(("\n " if i == 0 else ",\n ") + _dump(dict(zip(fields, row, strict=True))))
    w.write(f'\n],\n"matrix": {_dump(matrix_json(result))},\n')
    digest = w.h.hexdigest()
    out.write(f'"sha256": "{digest}"}}\n')
    return digest


def render_json(result: AuditResult, *, generated_at: str = "") -> str:
    buf = io.StringIO()
    write_json(result, buf, generated_at=generated_at)
    return buf.getvalue()


def digest_of(result: AuditResult, *, generated_at: str = "") -> str:
    """The `sha256` the JSON report of this result carries (the HTML report shows it)."""
    return write_json(result, io.StringIO(), generated_at=generated_at)


def verify_digest(text: str) -> bool:
    """Does a JSON report's `sha256` match the text before it? False for any change to the file."""
    body, sep, tail = text.rpartition('"sha256": "')
    if not sep:
        return False
    claimed = tail.split('"', 1)[0]
    return hashlib.sha256(body.encode()).hexdigest() == claimed
