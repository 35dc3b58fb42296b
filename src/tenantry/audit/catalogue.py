"""The rule catalogue: every rule's id, severity, title, why it matters, how to fix it, and order.

One place for everything a report says about a rule, so the engine, the renderings and the
remediation plan cannot disagree. `PRECEDENCE` is the order the engine runs them: worst first,
and a fact reported by an earlier rule is not reported again by a later one.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenantry.domain.model import DEFAULT_ROLE_NAMES

SEVERITIES = ("critical", "high", "medium", "low")
RANK = {s: i for i, s in enumerate(SEVERITIES)}
NO_TENANT = "(no tenant)"
# Granted by the platform in a new user's home division: the roles flagged `default`, and by name
# for snapshots that do not carry the flag.
DEFAULT_ROLES = DEFAULT_ROLE_NAMES


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    name: str
    severity: str
    title: str
    why: str
    needs_config: bool = False
    fix: str = ""
    org_level: bool = False  # about the org as a whole, not one subject's access


RULES: dict[str, RuleInfo] = {
    r.id: r
    for r in (
        RuleInfo(
            "R01",
            "all-divisions-grant",
            "critical",
            "A `*` (all divisions) grant outside the org admins",
            "`*` covers every division, present and future: this subject reaches every tenant's data.",
            fix="Replace the `*` grant with grants in the divisions this subject needs, or list "
            "the subject in org.org_admins.",
        ),
        RuleInfo(
            "R02",
            "cross-tenant-direct-grant",
            "critical",
            "A tenant's subject holds a grant in another tenant's division",
            "The role's permissions apply to the other tenant's objects: one client sees another's data.",
            fix="Remove the grant; if the access is meant, give it through the other tenant's own groups.",
        ),
        RuleInfo(
            "R03",
            "cross-tenant-group-grant",
            "critical",
            "A tenant's user reaches another tenant's division through a group",
            "Group members inherit the group's grants, so the membership opens another tenant's division.",
            fix="Remove the user from the group, or remove the group's grant in the other tenant's division.",
        ),
        RuleInfo(
            "R04",
            "oauth-client-multi-tenant",
            "critical",
            "An OAuth client whose roleDivisions reach more than one tenant or `*`",
            "Whoever holds the client's secret reads several tenants' data with one token.",
            fix="Split the client: one OAuth client per tenant, each with roleDivisions in its "
            "own division only.",
        ),
        RuleInfo(
            "R05",
            "queue-foreign-member",
            "high",
            "A tenant's queue has a member of another tenant",
            "A foreign agent answers, and sees, this tenant's conversations.",
            fix="Remove the member from the queue (or the group from memberGroups); bind own groups only.",
        ),
        RuleInfo(
            "R06",
            "home-division-mismatch",
            "high",
            "A tenant's user whose home division is not the tenant's division",
            "Whoever administers the user's division can change this person; the tenant's own admins cannot.",
            needs_config=True,
            fix="Move the user to its tenant's division (POST "
            "/api/v2/authorization/divisions/{id}/objects/USER).",
        ),
        RuleInfo(
            "R07",
            "admin-role",
            "high",
            "A tenant's subject holds a role with admin-level permissions",
            "Grant, user, OAuth client or SSO administration lets its holder widen anyone's access.",
            fix="Give the admin-level role to BPO staff or org admins only; use a role without "
            "those permissions.",
        ),
        RuleInfo(
            "R08",
            "unassigned-user-grant",
            "high",
            "A user of no tenant holds grants in a tenant's division",
            "Nobody answers for this person's access to the tenant; it is outside every membership rule.",
            fix="Assign the user to a tenant (membership rules) or list it as staff; else revoke the grant.",
        ),
        RuleInfo(
            "R09",
            "inactive-user-access",
            "medium",
            "An inactive user still holds grants or queue membership",
            "A reactivation would silently restore access the person should no longer have.",
            fix="Revoke the inactive user's grants and remove it from groups and queues (the "
            "leaver procedure).",
        ),
        RuleInfo(
            "R10",
            "tenant-object-outside-tenant",
            "medium",
            "A tenant's queue, group or OAuth client lives or holds grants outside its tenant's division",
            "Objects outside the tenant's division are governed by whoever administers that division.",
            fix="Move the object into its tenant's division, or grant its roles in the tenant's "
            "division only.",
        ),
        RuleInfo(
            "R11",
            "drift",
            "low",
            "A grant or membership that tenants.yaml does not explain",
            "Access nobody declared is access nobody reviews; the next apply would remove or repeat it.",
            needs_config=True,
            fix="Declare it in tenants.yaml, or let `tenantry apply` remove it.",
        ),
        RuleInfo(
            "R12",
            "open-directory",
            "high",
            "The org's directory is open: tenant OAuth clients and people read every tenant's people",
            "GET /api/v2/users needs no permission unless the org restricts directory search by division: "
            "a tenant's client or agent reads the names and emails of every other tenant's people.",
            fix="Turn on the org setting that restricts directory search by division (Admin > Organization "
            "settings); `tenantry doctor` says how.",
            org_level=True,
        ),
    )
}

# The order the engine runs the rules: a fact is reported by the first rule it breaks only.
PRECEDENCE = ("R01", "R04", "R02", "R03", "R05", "R06", "R07", "R08", "R09", "R10", "R11", "R12")
