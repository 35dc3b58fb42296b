"""What every command shares: its options, its two consoles, and the contracts scripts rely on.

Contracts: with `--json` exactly one JSON document goes to stdout whatever happens (errors are
`{"error": …}`), and nothing ever prompts; everything for people (progress, messages) goes to
stderr. Consoles are made per invocation so that COLUMNS and `--wide` are honoured.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from tenantry.errors import InputError, Problem

WIDE = 200

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="tenants.yaml: the tenants as code.")]
PeopleOpt = Annotated[
    Path | None, typer.Option("--people", help="People feed: CSV or JSON lines, or scim:<source>.")
]
ProfileOpt = Annotated[str | None, typer.Option("--profile", "-p", help="Named Genesys profile.")]
TargetOpt = Annotated[
    str | None,
    typer.Option(
        "--target", help="Region (eu-west-1), domain or base URL; overrides profile and environment."
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="One JSON document on stdout (errors too); never prompts.")
]
JournalOpt = Annotated[str | None, typer.Option("--journal", help="Journal URL (overrides tenants.yaml).")]
AutoApproveOpt = Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")]
WideOpt = Annotated[bool, typer.Option("--wide", help="Lay output out for a wide terminal (200 columns).")]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="List every warning, not a count per kind.")
]
MetricsFileOpt = Annotated[
    Path | None,
    typer.Option("--metrics-file", help="Write Prometheus metrics here (node_exporter textfile format)."),
]
LogFormatOpt = Annotated[
    str | None, typer.Option("--log-format", help="Structured logs on stderr: json or text.")
]


class Io:
    """The command's stdout and stderr consoles."""

    def __init__(self, wide: bool = False, as_json: bool = False) -> None:
        width = WIDE if wide else None
        self.out = Console(width=width, highlight=False)
        self.err = Console(stderr=True, width=width, highlight=False)
        self.as_json = as_json

    def emit(self, document: Any) -> None:
        """The one JSON document of a --json run."""
        sys.stdout.write(json.dumps(document, default=str) + "\n")
        sys.stdout.flush()

    def fail(self, message: str, code: int = 1, problems: list[Problem] | None = None) -> typer.Exit:
        """Report an error (a JSON document with --json) and return the Exit to raise."""
        if self.as_json:
            doc: dict[str, Any] = {"error": message}
            if problems:
                doc["problems"] = [
                    {"file": p.file, "line": p.line, "field": p.field, "message": p.message} for p in problems
                ]
            self.emit(doc)
        else:
            self.err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
        return typer.Exit(code)

    def input_error(self, exc: InputError, code: int = 1) -> typer.Exit:
        return self.fail(str(exc), code, exc.problems)


def required(value: Path | None, option: str, what: str, command: str = "tenantry") -> Path:
    if value is None:
        raise InputError([Problem(command, None, option, f"{what} is required")])
    return value
