"""The journal as it stood before migrations: runs, batches, leavers, managed objects.

A journal made by an older tenantry (tables, no version table) is stamped at this revision.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenantry_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text),
    )
    op.create_index("ix_tenantry_runs_plan_id", "tenantry_runs", ["plan_id"])
    op.create_table(
        "tenantry_batches",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("batch_id", sa.String(40), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("op", sa.String(40), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("tenant", sa.String(120)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("worker", sa.String(120)),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("result", sa.Text),
    )
    op.create_table(
        "tenantry_leavers",
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("since", sa.Float, nullable=False),
        sa.Column("deleted_at", sa.Float),
    )
    op.create_table(
        "tenantry_managed",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(400), primary_key=True),
        sa.Column("tenant", sa.String(120), nullable=False),
        sa.Column("first_seen", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("tenantry_managed", "tenantry_leavers", "tenantry_batches", "tenantry_runs"):
        op.drop_table(table)
