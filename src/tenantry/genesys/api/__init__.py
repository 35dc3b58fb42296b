"""Typed async functions per API area; each takes a GenesysClient first and returns models.

They know the platform's paths, bodies, bulk limits and natural keys; the client below them
knows retries, budgets and tokens.
"""

from tenantry.genesys.api import (
    analytics,
    divisions,
    grants,
    groups,
    identity_providers,
    oauth_clients,
    queues,
    roles,
    scim,
    users,
)

__all__ = [
    "analytics",
    "divisions",
    "grants",
    "groups",
    "identity_providers",
    "oauth_clients",
    "queues",
    "roles",
    "scim",
    "users",
]
