"""A database of its own on the machine's real PostgreSQL (127.0.0.1:5432, trust auth)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
ADMIN_DB = "test"  # the database the machine promises; new ones are made from a connection to it


@contextmanager
def fresh_database(prefix: str = "tenantry") -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it (connections and all) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{PG_SERVER}/{ADMIN_DB}", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/{ADMIN_DB}", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
