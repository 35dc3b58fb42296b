"""Alembic environment for the journal: run on the connection `journal.create_schema` hands over,
with its own version table (the bridge's tables keep theirs)."""

from __future__ import annotations

from alembic import context

from tenantry.execution.journal import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
