"""The bridge's store: IdP users, groups, memberships and the record of changing SCIM requests.

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
        "bridge_users",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_name", sa.String(320), nullable=False),
        sa.Column("external_id", sa.String(320)),
        sa.Column("email", sa.String(320)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("deleted_at", sa.Float),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("modified", sa.Float, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_bridge_users_name", "bridge_users", ["source", "user_name"])
    op.create_index("ix_bridge_users_external", "bridge_users", ["source", "external_id"])
    op.create_index("ix_bridge_users_email", "bridge_users", ["source", "email"])
    op.create_table(
        "bridge_groups",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("display_name", sa.String(400), nullable=False),
        sa.Column("external_id", sa.String(320)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("modified", sa.Float, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_bridge_groups_name", "bridge_groups", ["source", "display_name"])
    op.create_table(
        "bridge_members",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("group_id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("display", sa.String(400)),
    )
    op.create_index("ix_bridge_members_user", "bridge_members", ["source", "user_id"])
    op.create_table(
        "bridge_requests",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("resource", sa.String(16), nullable=False),
        sa.Column("resource_id", sa.String(40)),
        sa.Column("operation", sa.String(200), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
    )
    op.create_index("ix_bridge_requests_resource", "bridge_requests", ["source", "resource_id"])


def downgrade() -> None:
    for table in ("bridge_requests", "bridge_members", "bridge_groups", "bridge_users"):
        op.drop_table(table)
