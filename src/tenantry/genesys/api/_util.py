"""Small helpers shared by the API areas."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from tenantry.genesys.errors import NotFoundError
from tenantry.genesys.http import GenesysClient

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Split a bulk change into calls the platform accepts (≤ size items each), keeping order."""
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def camel(name: str) -> str:
    """snake_case keyword -> the API's camelCase field name."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def delete(
    client: GenesysClient, template: str, path: dict[str, str], *, versioned: bool = False, **kwargs: Any
) -> bool:
    """DELETE, reporting False when the object was already gone.

    Deleting converges on "absent", so a 404 (someone else deleted it, or our own earlier attempt
    whose answer was lost) is success, not an error. A `versioned` object (user, group) may answer
    a version conflict to a DELETE that names no version: it is sent again.
    """

    async def once() -> None:
        await client.request("DELETE", template, path=path, **kwargs)

    try:
        if versioned:
            await client.retry_conflicts(once, template=template)
        else:
            await once()
    except NotFoundError:
        return False
    return True
