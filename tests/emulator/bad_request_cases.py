"""The bodies the bad-request tests mutate: one valid body per write the emulator serves, and the
walk over their fields."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

MISSING = "00000000-0000-4000-8000-000000000000"
WRONG = [None, 0, -1, 1.5, True, "", "zz", [], {}, [1], {"a": 1}]
INTERVAL = "2026-10-15T00:00:00Z/2026-11-15T00:00:00Z"


@dataclass
class Ctx:
    home: str
    division: str
    user: dict
    other_user: str
    group: dict
    queue: str
    role: str
    oauth_client: str


_n = itertools.count()


def bodies(api: httpx.Client, c: Ctx) -> list[tuple[str, str, Callable[[], Any]]]:
    """(method, path, valid body) for every write the emulator serves; bodies are built fresh per
    request so versions and unique names stay current."""

    def user_version() -> int:
        return api.get(f"/api/v2/users/{c.user['id']}").json()["version"]

    def group_version() -> int:
        return api.get(f"/api/v2/groups/{c.group['id']}").json()["version"]

    queue_divisions = itertools.cycle([c.home, c.division])
    grants = lambda: {"grants": [{"roleId": c.role, "divisionId": c.division}]}  # noqa: E731
    subj = f"/api/v2/authorization/subjects/{c.user['id']}"
    return [
        ("POST", "/api/v2/authorization/divisions", lambda: {"name": f"Fuzz {next(_n)}", "description": "d"}),
        (
            "PUT",
            f"/api/v2/authorization/divisions/{c.division}",
            lambda: {"name": f"Fuzzed {next(_n)}", "description": "d"},
        ),
        ("POST", f"/api/v2/authorization/divisions/{c.division}/objects/USER", lambda: [c.other_user]),
        (
            "POST",
            "/api/v2/authorization/roles",
            lambda: {
                "name": f"Fuzz role {next(_n)}",
                "description": "d",
                "permissionPolicies": [{"domain": "routing", "entityName": "queue", "actionSet": ["view"]}],
            },
        ),
        (
            "PUT",
            f"/api/v2/authorization/roles/{c.role}",
            lambda: {
                "name": f"Fuzzed role {next(_n)}",
                "description": "d",
                "permissionPolicies": [{"domain": "routing", "entityName": "queue", "actionSet": ["view"]}],
            },
        ),
        ("POST", f"{subj}/bulkadd?subjectType=PC_USER", grants),
        ("POST", f"{subj}/bulkremove", grants),
        ("POST", f"{subj}/bulkreplace", lambda: {"grants": [{"roleId": c.role, "divisionId": c.home}]}),
        (
            "POST",
            "/api/v2/users",
            lambda: {
                "name": "Fuzz User",
                "email": f"fuzz{next(_n)}@bpo.example",
                "divisionId": c.home,
                "title": "t",
                "department": "d",
                "password": "long enough secret",
                "state": "active",
            },
        ),
        (
            "PATCH",
            f"/api/v2/users/{c.user['id']}",
            lambda: {
                "version": user_version(),
                "name": f"Dana Ops {next(_n)}",
                "title": "Operations Director",
                "department": "ops",
                "state": "active",
                "email": "dana.ops@bpo.example",
                "manager": {"id": c.other_user},
            },
        ),
        (
            "POST",
            "/api/v2/users/search",
            lambda: {
                "query": [
                    {"type": "CONTAINS", "fields": ["name", "email"], "value": "agent", "values": ["agent"]}
                ],
                "pageSize": 10,
                "pageNumber": 1,
            },
        ),
        (
            "POST",
            "/api/v2/groups",
            lambda: {
                "name": f"Fuzz group {next(_n)}",
                "description": "d",
                "type": "official",
                "visibility": "public",
                "rolesEnabled": True,
            },
        ),
        (
            "PUT",
            f"/api/v2/groups/{c.group['id']}",
            lambda: {
                "name": f"Fuzzed group {next(_n)}",
                "description": "d",
                "type": "official",
                "visibility": "public",
                "rolesEnabled": True,
                "version": group_version(),
            },
        ),
        (
            "POST",
            f"/api/v2/groups/{c.group['id']}/members",
            lambda: {"memberIds": [c.other_user], "version": group_version()},
        ),
        (
            "POST",
            "/api/v2/routing/queues",
            lambda: {
                "name": f"Fuzz queue {next(_n)}",
                "description": "d",
                "division": {"id": c.division},
                "memberGroups": [{"id": c.group["id"], "type": "GROUP"}],
            },
        ),
        (
            "PUT",
            f"/api/v2/routing/queues/{c.queue}",
            lambda: {
                "name": f"Fuzzed queue {next(_n)}",
                "description": "d",
                "division": {"id": next(queue_divisions)},  # a move on every call
                "memberGroups": [{"id": c.group["id"], "type": "GROUP"}],
            },
        ),
        ("POST", f"/api/v2/routing/queues/{c.queue}/members", lambda: [{"id": c.other_user}]),
        ("POST", f"/api/v2/routing/queues/{c.queue}/members?delete=true", lambda: [{"id": c.other_user}]),
        (
            "POST",
            "/api/v2/oauth/clients",
            lambda: {
                "name": f"Fuzz client {next(_n)}",
                "description": "d",
                "authorizedGrantType": "CLIENT-CREDENTIALS",
                "accessTokenValiditySeconds": 3600,
                "roleDivisions": [{"roleId": c.role, "divisionId": c.division}],
            },
        ),
        (
            "PUT",
            f"/api/v2/oauth/clients/{c.oauth_client}",
            lambda: {
                "name": f"Fuzzed client {next(_n)}",
                "description": "d",
                "state": "active",
                "accessTokenValiditySeconds": 3600,
                "roleDivisions": [{"roleId": c.role, "divisionId": c.division}],
            },
        ),
        (
            "PUT",
            "/api/v2/identityproviders/generic",
            lambda: {
                "name": f"SSO {next(_n)}",
                "disabled": False,
                "issuerURI": "https://idp.example",
                "ssoTargetURI": "https://idp.example/sso",
                "relyingPartyIdentifier": "urn:x",
                "certificate": "MIIC",
                "certificates": ["MIIC"],
                "nameIdentifierFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                "signAuthnRequests": False,
            },
        ),
        (
            "POST",
            "/api/v2/analytics/conversations/details/query",
            lambda: {
                "interval": INTERVAL,
                "order": "asc",
                "conversationFilters": [
                    {
                        "type": "and",
                        "predicates": [
                            {
                                "type": "dimension",
                                "dimension": "divisionId",
                                "operator": "matches",
                                "value": c.home,
                            }
                        ],
                        "clauses": [
                            {
                                "type": "or",
                                "predicates": [{"dimension": "originatingDirection", "value": "inbound"}],
                            }
                        ],
                    }
                ],
                "paging": {"pageSize": 10, "pageNumber": 1},
            },
        ),
    ]


def paths(obj: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every field of a JSON body, containers included; lists by their first element."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield (*prefix, k)
            yield from paths(v, (*prefix, k))
    elif isinstance(obj, list) and obj:
        yield (*prefix, 0)
        yield from paths(obj[0], (*prefix, 0))


def set_field(body: Any, path: tuple, value: Any, *, drop: bool = False) -> Any:
    out = copy.deepcopy(body)
    node = out
    for key in path[:-1]:
        node = node[key]
    if drop:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out
