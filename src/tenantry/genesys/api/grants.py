"""Grants (role x division) of a subject, changed in one bulk call per subject.

Bulk add/remove/replace state the wanted result rather than a step, so sending one twice is
harmless: they are retried like reads.
"""

from __future__ import annotations

from collections.abc import Iterable

from tenantry.genesys.errors import BadRequestError, NotFoundError
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import RoleDivision, Subject

SUBJECT = "/api/v2/authorization/subjects/{subjectId}"
ONE_GRANT = SUBJECT + "/divisions/{divisionId}/roles/{roleId}"
SUBJECT_TYPES = ("PC_USER", "PC_GROUP", "PC_OAUTH_CLIENT")


async def get_subject(client: GenesysClient, subject_id: str) -> Subject:
    """The subject's grants, inherited ones included for a user (see Subject.direct_grants)."""
    return Subject.model_validate(await client.get(SUBJECT, path={"subjectId": subject_id}))


async def direct_grants(client: GenesysClient, subject_id: str) -> set[tuple[str, str]]:
    """The (roleId, divisionId) pairs a subject holds itself: what tenantry may revoke from it."""
    return {(g.role.id, g.division.id) for g in (await get_subject(client, subject_id)).direct_grants}


def _body(grants: Iterable[RoleDivision]) -> dict:
    unique = {(g.role_id, g.division_id) for g in grants}
    return {"grants": [{"roleId": r, "divisionId": d} for r, d in sorted(unique)]}


async def _bulk(
    client: GenesysClient,
    action: str,
    subject_id: str,
    grants: Iterable[RoleDivision],
    subject_type: str | None,
) -> None:
    if subject_type is not None and subject_type not in SUBJECT_TYPES:
        raise ValueError(f"subject_type must be one of {SUBJECT_TYPES}")
    await client.request(
        "POST",
        SUBJECT + "/" + action,
        path={"subjectId": subject_id},
        params={"subjectType": subject_type} if subject_type else None,
        json=_body(grants),
        idempotent=True,
    )


async def bulk_add(
    client: GenesysClient, subject_id: str, grants: Iterable[RoleDivision], subject_type: str = "PC_USER"
) -> None:
    await _bulk(client, "bulkadd", subject_id, grants, subject_type)


async def bulk_remove(client: GenesysClient, subject_id: str, grants: Iterable[RoleDivision]) -> None:
    """Remove grants in one call; when it fails whole (a role or division in it no longer exists,
    its grants left behind), remove them one by one as the Terraform provider does."""
    grants = list(grants)
    try:
        await _bulk(client, "bulkremove", subject_id, grants, None)
    except (BadRequestError, NotFoundError):
        for role_id, division_id in sorted({(g.role_id, g.division_id) for g in grants}):
            await remove_one(client, subject_id, role_id, division_id)


async def remove_one(client: GenesysClient, subject_id: str, role_id: str, division_id: str) -> bool:
    """DELETE one grant, orphaned or not; False when it was not held (404)."""
    path = {"subjectId": subject_id, "divisionId": division_id, "roleId": role_id}
    try:
        await client.request("DELETE", ONE_GRANT, path=path)
    except NotFoundError:
        return False
    return True


async def bulk_replace(
    client: GenesysClient, subject_id: str, grants: Iterable[RoleDivision], subject_type: str = "PC_USER"
) -> None:
    """Make the subject hold exactly these grants (an empty list revokes everything)."""
    await _bulk(client, "bulkreplace", subject_id, grants, subject_type)
