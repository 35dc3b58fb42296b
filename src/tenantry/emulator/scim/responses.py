"""HTTP for the SCIM 2.0 API (placeholder until the SCIM area lands)."""

from __future__ import annotations

routes: list = []
