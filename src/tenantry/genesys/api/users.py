"""Users: listed per state, created in a tenant division, changed with their version.

Inactive users past 10,000 results cannot be listed (the platform answers 400, as the
Terraform provider found); `list_users` returns what it could read and how many it could not.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tenantry.genesys.api._util import camel, chunks, delete
from tenantry.genesys.api.divisions import move_objects
from tenantry.genesys.errors import ConflictError, NotFoundError
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import User
from tenantry.genesys.paging import read_entity_listing

BASE = "/api/v2/users"
ONE = BASE + "/{userId}"
SEARCH = BASE + "/search"
PAGE_SIZE = 500  # the platform's maximum for GET /api/v2/users
SEARCH_PAGE_SIZE = 100
INACTIVE_CAP = 10_000
IDS_PER_CALL = 100


@dataclass
class UserListing:
    users: list[User]
    total: int
    unread: int
    state: str

    @property
    def warning(self) -> str | None:
        """A sentence for reports when the platform withheld users; None when complete."""
        if not self.unread:
            return None
        return (
            f"{self.unread} of {self.total} {self.state} users could not be read: Genesys Cloud "
            f"stops listing {self.state} users after {INACTIVE_CAP:,} results."
        )


async def list_users(
    client: GenesysClient, *, state: str = "active", expand: Sequence[str] = ()
) -> UserListing:
    """All users in one state that the client can see (active: all of them, whatever the count)."""
    params: dict[str, Any] = {"state": state}
    if expand:
        params["expand"] = list(expand)
    listing = await read_entity_listing(
        client,
        BASE,
        params=params,
        page_size=PAGE_SIZE,
        result_cap=INACTIVE_CAP if state == "inactive" else None,
    )
    users = [User.model_validate(u) for u in listing.entities]
    return UserListing(users, listing.total, listing.unread, state)


async def get_user(
    client: GenesysClient, user_id: str, *, expand: Sequence[str] = (), state: str | None = None
) -> User:
    """One user; `state="deleted"` reads a deleted one (the platform answers 404 otherwise)."""
    params: dict[str, Any] = {"expand": list(expand)} if expand else {}
    if state:
        params["state"] = state
    return User.model_validate(await client.get(ONE, path={"userId": user_id}, params=params or None))


async def get_users(client: GenesysClient, user_ids: Sequence[str], *, state: str = "any") -> list[User]:
    """Users by id, IDS_PER_CALL per request (deleted ones are left out)."""

    async def batch(ids: list[str]) -> list[User]:
        body = await client.get(BASE, params={"id": ids, "state": state, "pageSize": len(ids)})
        return [User.model_validate(u) for u in body.get("entities") or []]

    results = await asyncio.gather(*(batch(ids) for ids in chunks(user_ids, IDS_PER_CALL)))
    return [u for part in results for u in part]


async def search_users(
    client: GenesysClient, query: list[dict[str, Any]], *, page_size: int = SEARCH_PAGE_SIZE
) -> list[User]:
    """POST /api/v2/users/search, every page (search is a read, so retries are safe)."""

    async def page(number: int) -> dict[str, Any]:
        body = {"pageSize": page_size, "pageNumber": number, "query": query}
        return await client.call("POST", SEARCH, json=body, idempotent=True)

    first = await page(1)
    pages = int(first.get("pageCount") or math.ceil(int(first.get("total") or 0) / page_size) or 1)
    rest = await asyncio.gather(*(page(n) for n in range(2, pages + 1)))
    seen: dict[str, User] = {}
    for body in [first, *rest]:
        for u in body.get("results") or []:
            seen.setdefault(u["id"], User.model_validate(u))
    return list(seen.values())


async def find_user_by_email(
    client: GenesysClient, email: str, *, states: Sequence[str] = ("active", "inactive")
) -> User | None:
    """The user with this email in one of `states` (emails are unique in an org), or None.

    A deleted user keeps its email: pass `states=("active", "inactive", "deleted")` to find it."""
    query = [
        {"type": "EXACT", "fields": ["email"], "values": [email]},
        {"type": "EXACT", "fields": ["state"], "values": list(states)},
    ]
    matches = [
        u for u in await search_users(client, query, page_size=25) if (u.email or "").lower() == email.lower()
    ]
    matches.sort(key=lambda u: u.state == "deleted")  # a live user wins over a deleted one
    return matches[0] if matches else None


async def create_user(
    client: GenesysClient,
    *,
    name: str,
    email: str,
    division_id: str,
    title: str | None = None,
    department: str | None = None,
    state: str | None = None,
    hr_id: str | None = None,
) -> User:
    """Create a user; after an unclear answer or a 409 the email decides whether it already exists.

    A deleted user keeps its email (creating it again answers 409): it is restored, keeping its
    id, then given the wanted name, title, department and division. No password is ever set or
    sent: people sign in through SSO. `hr_id` anchors the user to its person
    (employerInfo.employeeId), so a later email change updates this user.
    """
    body: dict[str, Any] = {"name": name, "email": email, "divisionId": division_id}
    fields: dict[str, Any] = {k: v for k, v in (("title", title), ("department", department)) if v}
    if hr_id:
        fields["employer_info"] = {"employeeId": hr_id}
    body |= {camel(k): v for k, v in fields.items()} | ({"state": state} if state else {})

    async def lookup() -> dict[str, Any] | None:
        found = await find_user_by_email(client, email, states=("active", "inactive", "deleted"))
        return found.to_api() if found else None

    try:
        user = User.model_validate(await client.create(BASE, body, lookup=lookup))
    except ConflictError:  # the email is taken: by a deleted user, restored below
        found = await client.look_patiently(lookup)
        if found is None or found.get("state") != "deleted":
            raise
        user = User.model_validate(found)
    if user.state != "deleted":
        return user
    await restore_user(client, user.id)
    user = await update_user(client, user.id, name=name, **fields)
    if (user.division.id if user.division else None) != division_id:
        await move_objects(client, division_id, "USER", [user.id])
        user = await get_user(client, user.id)
    return user


async def restore_user(client: GenesysClient, user_id: str) -> User:
    """Bring a deleted user back (PATCH of `state` alone, with the version read from the deleted
    user, as the Terraform provider does); a user already restored is left as it is."""

    async def read() -> User:
        try:
            return await get_user(client, user_id, state="deleted")
        except NotFoundError:  # restored meanwhile (by us, on an earlier attempt)
            return await get_user(client, user_id)

    def apply(current: User) -> dict[str, Any] | None:
        return None if current.state != "deleted" else {"state": "active", "version": current.version}

    async def write(body: dict[str, Any]) -> User:
        return User.model_validate(await client.call("PATCH", ONE, path={"userId": user_id}, json=body))

    return await client.update_versioned(read, apply, write, template=ONE)


async def update_user(client: GenesysClient, user_id: str, **changes: Any) -> User:
    """PATCH the given fields (name, email, title, department, state, employer_info) at the current version.

    A PATCH that changes `state` changes nothing else on the platform, so a state change is
    sent alone first and the other fields after it. A version conflict (409, or the 400 form)
    re-reads and re-applies.
    """
    if "state" in changes and len(changes) > 1:
        await update_user(client, user_id, state=changes.pop("state"))
    wire = {camel(k): v for k, v in changes.items()}

    def apply(current: User) -> dict[str, Any] | None:
        data = current.to_api()
        if all(data.get(k) == v for k, v in wire.items()):
            return None
        return {**wire, "version": current.version}

    async def write(body: dict[str, Any]) -> User:
        return User.model_validate(await client.call("PATCH", ONE, path={"userId": user_id}, json=body))

    return await client.update_versioned(lambda: get_user(client, user_id), apply, write, template=ONE)


async def set_user_state(client: GenesysClient, user_id: str, state: str) -> User:
    """Deactivate (`inactive`) or reactivate (`active`) a user."""
    return await update_user(client, user_id, state=state)


async def delete_user(client: GenesysClient, user_id: str) -> bool:
    """Delete a user; False if it was already gone (a retry after an unclear answer lands here)."""
    return await delete(client, ONE, {"userId": user_id}, versioned=True)
