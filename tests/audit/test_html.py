"""The HTML report in a real browser: headless Chromium (Debian's `chromium`) renders the page, the
DOM it builds is checked, and the screenshot linked from docs/audit.md is taken from it."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from audit_org import ACME, GLOBEX, VIOLATIONS, clean_org, config, to_snapshot, with_violations

from tenantry.audit.engine import audit
from tenantry.reports import render

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "audit-report.png"


def _install_chromium() -> str | None:
    """Install Debian's chromium when absent; the reason it could not be, or None."""
    if os.path.exists(CHROMIUM):
        return None
    if shutil.which("apt-get") is None:
        return "apt-get is not available to install chromium"
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for attempt in (["apt-get", "install", "-y", "chromium"], ["apt-get", "update"]):
        print(f"installing chromium: {' '.join(attempt)}", file=sys.stderr)
        done = subprocess.run(attempt, env=env, capture_output=True, text=True, timeout=900, check=False)
        if attempt[1] == "update" and done.returncode == 0:
            done = subprocess.run(
                ["apt-get", "install", "-y", "chromium"], env=env, capture_output=True, text=True, timeout=900
            )
        if os.path.exists(CHROMIUM):
            return None
    return f"`apt-get install -y chromium` failed: {done.stderr.strip()[-500:]}"


@pytest.fixture(scope="session")
def chromium() -> str:
    reason = _install_chromium()
    if reason is not None:
        pytest.skip(f"HTML REPORT NOT CHECKED IN A BROWSER: {reason}")
    return CHROMIUM


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run([chromium, *flags, *args], capture_output=True, text=True, timeout=120, check=False)


class _Dom(HTMLParser):
    """Just enough of the DOM: heat-map cells by class, findings by rule, and the visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str]] = []  # (class, title)
        self.rules: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "td" and "title" in a:
            self.cells.append((a.get("class") or "", a["title"] or ""))
        if tag == "tr" and a.get("class") == "finding":
            self.rules.append(a.get("data-rule") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture
def report(tmp_path) -> Path:
    result = audit(to_snapshot(with_violations(clean_org(), VIOLATIONS)), config(tmp_path))
    page = tmp_path / "audit.html"
    page.write_text(render(result, "html", generated_at="2026-11-25 09:00 UTC"))
    return page


def test_page_is_self_contained(report):
    html = report.read_text()
    assert "<style>" in html
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(", html, re.I)
    assert not re.search(r"(src|href)\s*=", html, re.I)


def test_chromium_renders_heat_map_and_findings(chromium, report, tmp_path):
    done = _run(chromium, tmp_path / "profile", "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = _Dom()
    dom.feed(done.stdout)
    text = " ".join(dom.text)
    assert "tenantry isolation audit" in text
    assert sorted(dom.rules) == sorted(v.rule for v in VIOLATIONS)
    # The cross-tenant reaches injected in Acme (R01 `*`, R02 direct, R03 via group) show as a red cell
    # in Globex's column of Acme's row, and only there; Globex's own row stays clean.
    foreign = [title for cls, title in dom.cells if cls == "foreign" and not title.startswith("no tenant")]
    assert len(foreign) == 1 and foreign[0].startswith(f"acme ({ACME}) → {GLOBEX}: 3 subject(s) can view")
    # Subjects of no tenant reaching a tenant's division (R04's client, R08's contractor) are red too.
    outsiders = {
        title.split(":")[0] for cls, title in dom.cells if cls == "foreign" and title.startswith("no tenant")
    }
    assert outsiders == {f"no tenant → {ACME}", f"no tenant → {GLOBEX}"}
    own = [title for cls, title in dom.cells if cls == "own"]
    assert len(own) == 2 and any(t.startswith(f"globex ({GLOBEX}) → {GLOBEX}") for t in own)
    assert "agent3@acme.bpo.example" in text and "via group Globex Telecom Agents" in text


def test_screenshot_for_the_docs(chromium, report, tmp_path):
    """Writes docs/audit-report.png only when asked (TENANTRY_UPDATE_DOCS=1): a test run on a
    clean clone must not change tracked files."""
    shot = SCREENSHOT if os.environ.get("TENANTRY_UPDATE_DOCS") else tmp_path / "audit-report.png"
    shot.parent.mkdir(exist_ok=True)
    done = _run(chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,1000",
                "--hide-scrollbars", report.as_uri())  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    head = shot.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (1400, 1000)
    assert shot.stat().st_size > 30_000  # a rendered page, not a blank one
