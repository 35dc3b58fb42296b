"""Admin-level permissions: one definition for the plan check and the audit's admin-role rule.

A role is admin-level when any of its policies allows one of these (wildcards included: a policy
`*:*:*`, `authorization:grant:*`, `oauth:*:*` …). Whoever holds such a role can widen anyone's
access — grant roles, create or change users, mint OAuth clients, or redirect sign-in — so in a
tenant's hands it undoes the isolation tenantry maintains.
"""

from __future__ import annotations

ADMIN_PERMISSIONS = (
    "authorization:grant:add",
    "authorization:grant:delete",
    "authorization:role:add",
    "authorization:role:edit",
    "authorization:division:edit",
    "directory:user:add",
    "directory:user:edit",
    "directory:user:delete",
    "directory:user:setPassword",
    "oauth:client:add",
    "oauth:client:edit",
    "sso:provider:add",
    "sso:provider:edit",
    "sso:provider:delete",
)
