"""`make demo`'s SCIM chapter runs end to end and says what reached Genesys."""

from __future__ import annotations

from rich.console import Console

from tenantry.bridge.demo import chapter


def test_demo_chapter() -> None:
    console = Console(record=True, width=120)
    chapter(console)
    text = console.export_text()
    assert "never in two tenants at once" in text
    assert "│ Acme Insurance" in text and "│ Globex Telecom" in text and "no tenant (inactive)" in text
    assert " nan s" not in text
