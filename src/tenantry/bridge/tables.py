"""The bridge's tables in the journal database. Created and upgraded by Alembic (bridge/migrations)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

users = Table(
    "bridge_users",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("user_name", String(320), nullable=False),  # lower-cased: userName is case-insensitive
    Column("external_id", String(320)),
    Column("email", String(320)),  # lower-cased
    Column("active", Boolean, nullable=False),
    Column("deleted_at", Float),  # a hard DELETE keeps a tombstone: the person is a leaver
    Column("version", Integer, nullable=False),
    Column("created", Float, nullable=False),
    Column("modified", Float, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_bridge_users_name", "source", "user_name"),
    Index("ix_bridge_users_external", "source", "external_id"),
    Index("ix_bridge_users_email", "source", "email"),
)

groups = Table(
    "bridge_groups",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("display_name", String(400), nullable=False),  # lower-cased
    Column("external_id", String(320)),
    Column("version", Integer, nullable=False),
    Column("created", Float, nullable=False),
    Column("modified", Float, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_bridge_groups_name", "source", "display_name"),
)

members = Table(
    "bridge_members",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("group_id", String(40), primary_key=True),
    Column("user_id", String(40), primary_key=True),
    Column("display", String(400)),  # as the IdP sent it; the member's userName when it sent none
    Index("ix_bridge_members_user", "source", "user_id"),
)

requests = Table(
    "bridge_requests",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("source", String(64), nullable=False),
    Column("method", String(8), nullable=False),
    Column("resource", String(16), nullable=False),  # User | Group
    Column("resource_id", String(40)),
    Column("operation", String(200), nullable=False),
    Column("status", Integer, nullable=False),
    Column("outcome", Text, nullable=False),
    Index("ix_bridge_requests_resource", "source", "resource_id"),
)
