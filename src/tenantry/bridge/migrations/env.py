"""Alembic environment for the bridge's tables: run on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from tenantry.bridge.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table="tenantry_bridge_alembic",
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
