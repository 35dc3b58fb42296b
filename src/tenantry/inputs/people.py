"""People feeds (an HR export as CSV or JSON lines) → validated Person records.

Every problem is reported with its file and line, all at once, before anything is planned.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tenantry.errors import InputError, Problem

REQUIRED = ("hr_id", "email", "given_name", "family_name", "status")
STATUSES = ("active", "leaver")
EMAIL = re.compile(r"^[^@\s\"<>(),;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
MAX_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class Person:
    hr_id: str
    email: str  # lower-cased: the platform treats emails case-insensitively
    given_name: str
    family_name: str
    status: str  # active | leaver
    attributes: dict[str, str] = field(default_factory=dict, compare=False)
    idp_groups: frozenset[str] = frozenset()
    line: int = 0

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def active(self) -> bool:
        return self.status == "active"

    def attrs(self) -> dict[str, str]:
        """Rule attributes: the feed's columns, the core fields included."""
        return {
            "hr_id": self.hr_id,
            "email": self.email,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "status": self.status,
            **self.attributes,
        }


class Feed(list[Person]):
    """The people of one feed, and the columns it has: a rule testing a column the feed lacks is an
    input error, never a test that is silently false for everyone."""

    def __init__(self, people: list[Person], name: str, columns: frozenset[str]) -> None:
        super().__init__(people)
        self.name = name
        self.columns = columns


def _groups(value: object) -> frozenset[str]:
    if value is None or value == "":
        return frozenset()
    if isinstance(value, list):
        return frozenset(str(v).strip() for v in value if str(v).strip())
    return frozenset(x.strip() for x in str(value).split(";") if x.strip())


def _rows(path: Path) -> tuple[list[tuple[int, dict[str, object]]], frozenset[str]]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError([Problem(name, None, "", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(name, None, "", "not UTF-8 text")]) from None
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return _json_rows(name, text)
    return _csv_rows(name, text)


def _json_rows(name: str, text: str) -> tuple[list[tuple[int, dict[str, object]]], frozenset[str]]:
    rows: list[tuple[int, dict[str, object]]] = []
    problems: list[Problem] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            problems.append(Problem(name, n, "", f"not valid JSON: {getattr(exc, 'msg', exc)}"))
            continue
        except RecursionError:
            problems.append(Problem(name, n, "", "not valid JSON: nested too deeply"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(name, n, "", "each line must be a JSON object"))
            continue
        rows.append((n, obj))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    return rows, frozenset(k for _, obj in rows for k in obj)


def _csv_rows(name: str, text: str) -> tuple[list[tuple[int, dict[str, object]]], frozenset[str]]:
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError([Problem(name, 1, ", ".join(missing), _header_problem(text))])
    out: list[tuple[int, dict[str, object]]] = []
    previous = 1
    try:
        for row in reader:
            if reader.line_num > previous + 1:  # one record over several lines: a quote left open
                raise InputError([_open_quote(name, text, previous + 1)])
            previous = reader.line_num
            if None in row:
                raise InputError([Problem(name, reader.line_num, "", "more values than header columns")])
            out.append((reader.line_num, dict(row)))
    except csv.Error as exc:  # a field over csv's limit (128 KiB), a NUL byte, … or a quote left open
        if "field larger" in str(exc) or "NUL" in str(exc):
            raise InputError([Problem(name, reader.line_num + 1, "", f"not valid CSV: {exc}")]) from None
        raise InputError([_open_quote(name, text, previous + 1, str(exc))]) from None
    return out, frozenset(reader.fieldnames or ())


def _header_problem(text: str) -> str:
    """Missing columns; when another delimiter splits the header into them, say which."""
    header = text.splitlines()[0] if text else ""
    for sep, label in ((";", "';'"), ("\t", "a tab"), ("|", "'|'")):
        if sep in header and all(c in header.split(sep) for c in ("email", "status")):
            return f"required column missing from the header; the file looks {label}-separated: use commas"
    return "required column missing from the header"


def _open_quote(name: str, text: str, line: int, detail: str = "") -> Problem:
    extra = f" ({detail})" if detail else ""
    return Problem(
        name, line, "", f'unbalanced quote: a field opened with " on this line is never closed{extra}'
    )


def load(path: str | Path) -> Feed:
    """Read and validate a feed; raise InputError listing every problem with its line."""
    p = Path(path)
    name = str(path)
    problems: list[Problem] = []
    people: list[Person] = []
    by_id: dict[str, int] = {}
    by_email: dict[str, int] = {}
    rows, columns = _rows(p)
    for line, row in rows:
        values = {k: ("" if v is None else str(v).strip()) for k, v in row.items() if k != "idp_groups"}
        bad = False
        for f in REQUIRED:
            if not values.get(f):
                problems.append(Problem(name, line, f, "is required"))
                bad = True
        email = values.get("email", "").lower()
        if email and not EMAIL.match(email):
            problems.append(Problem(name, line, "email", f"{values['email']!r} is not a valid email address"))
            bad = True
        status = values.get("status", "").lower()
        if status and status not in STATUSES:
            problems.append(
                Problem(name, line, "status", f"{values['status']!r} is not one of {', '.join(STATUSES)}")
            )
            bad = True
        hr_id = values.get("hr_id", "")
        if hr_id in by_id:
            problems.append(Problem(name, line, "hr_id", f"{hr_id!r} already appears on line {by_id[hr_id]}"))
            bad = True
        if email in by_email:
            problems.append(
                Problem(name, line, "email", f"{email!r} already appears on line {by_email[email]}")
            )
            bad = True
        if hr_id:
            by_id.setdefault(hr_id, line)
        if email:
            by_email.setdefault(email, line)
        if bad:
            continue
        extra = {k: v for k, v in values.items() if k not in REQUIRED}
        people.append(
            Person(
                hr_id,
                email,
                values["given_name"],
                values["family_name"],
                status,
                extra,
                _groups(row.get("idp_groups")),
                line,
            )
        )
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    return Feed(people, name, columns)
