"""tenants.yaml's `events` section: checked like the rest, errors at file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantry.config import tenants as config
from tenantry.errors import InputError
from tenantry.events.runtime import audit_log_path, subscribers

BASE = """tenants:
  acme:
    division: Acme
    members: [{client: ACME}]
    groups: {Agents: {roles: [Agent]}}
"""


def load(tmp_path: Path, events: str) -> config.Config:
    p = tmp_path / "tenants.yaml"
    p.write_text(BASE + events)
    return config.load(p)


def test_a_valid_events_section(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        "events:\n  audit_log: logs/events.jsonl\n  webhooks:\n"
        "    - {url: 'https://hr.example/hooks', events: [joiner, leaver], secret_env: HR_SECRET}\n",
    )
    assert audit_log_path(cfg) == tmp_path / "logs" / "events.jsonl"
    [sub] = subscribers(cfg, {"HR_SECRET": "whsec_c2VjcmV0"})
    assert sub.url == "https://hr.example/hooks" and sub.wants("dev.tenantry.joiner")
    assert not sub.wants("dev.tenantry.grant") and "whsec" not in repr(sub)


@pytest.mark.parametrize(
    ("events", "line", "field", "words"),
    [
        (
            "events:\n  webhooks:\n    - url: ftp://x\n      secret_env: S\n",
            8,
            "events.webhooks.0.url",
            "http",
        ),
        (
            "events:\n  webhooks:\n    - url: http://x\n      events: [hired]\n      secret_env: S\n",
            9,
            "events.webhooks.0.events",
            "unknown event type 'hired'",
        ),
        (
            "events:\n  webhooks:\n    - url: http://x\n      secret_env: whsec_abc=\n",
            9,
            "events.webhooks.0.secret_env",
            "environment variable",
        ),
        ("events:\n  webhooks:\n    - url: http://x\n", 8, "events.webhooks.0", "required"),
        ("events:\n  audit_file: x\n", 7, "events.audit_file", "unknown field"),
    ],
)
def test_bad_events_settings_name_file_line_field(
    tmp_path: Path, events: str, line: int, field: str, words: str
) -> None:
    with pytest.raises(InputError) as exc:
        load(tmp_path, events)
    [p] = exc.value.problems
    assert (p.line, p.field) == (line, field) and words in p.message and p.file.endswith("tenants.yaml")


def test_a_missing_secret_variable_is_an_input_error(tmp_path: Path) -> None:
    cfg = load(tmp_path, "events:\n  webhooks:\n    - {url: 'http://x', secret_env: HR_SECRET}\n")
    with pytest.raises(InputError) as exc:
        subscribers(cfg, {})
    [p] = exc.value.problems
    assert p.field == "events.webhooks.0.secret_env" and p.line == 8 and "HR_SECRET is not set" in p.message
