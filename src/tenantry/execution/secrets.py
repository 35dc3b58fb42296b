"""A new OAuth client's secret is shown once: it goes to a 0600 file, never to a log or journal."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_secret_file(directory: Path, name: str, client_id: str, secret: str) -> Path:
    """Always a fresh file of mode 600: an existing file (whatever its mode) or a symlink at the
    path is replaced, never followed or reused. Written beside it, then renamed into place."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).lstrip(".") or "client"
    path = directory / f"{safe}.json"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{safe}.", suffix=".tmp")  # O_EXCL, mode 600
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump({"client_id": client_id, "client_secret": secret}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)  # replaces a symlink itself, not its target
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
