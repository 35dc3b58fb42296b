"""Alembic migrations of the journal's tables (runs, batches, leavers, managed objects)."""
