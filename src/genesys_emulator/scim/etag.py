"""Versions as ETags: strong `"n"` out, `W/"n"`, `"n"`, `n` or `*` read in If-Match / If-None-Match."""

from __future__ import annotations

from .errors import ScimError
from .urns import STALE_VERSION_STATUS


def etag(version: int) -> str:
    """Strong ETags, as the platform sends ("42"); a weak W/"42" in If-Match is read too."""
    return f'"{version}"'


def _etag_values(header: str) -> set[str]:
    out = set()
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith(("W/", "w/")):
            tag = tag[2:]
        out.add(tag.strip().strip('"'))
    return out


def check_if_match(header: str | None, version: int) -> None:
    if header is None or not header.strip():
        return
    tags = _etag_values(header)
    if "*" in tags or str(version) in tags:
        return
    raise ScimError(
        STALE_VERSION_STATUS,
        f"The version in If-Match ({header.strip()}) does not match the current version {etag(version)}.",
        "invalidVers" if STALE_VERSION_STATUS == 400 else None,
    )


def not_modified(header: str | None, version: int) -> bool:
    return bool(header) and str(version) in _etag_values(header or "")
