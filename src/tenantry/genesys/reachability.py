"""Is the target there at all? One short unauthenticated GET, so an unreachable org is named
within seconds instead of after the retry policy's whole budget."""

from __future__ import annotations

import httpx

from tenantry.genesys.errors import TransportError
from tenantry.genesys.http import GenesysClient

PREFLIGHT_TIMEOUT = 5.0


class Unreachable(TransportError):
    """The target did not answer the preflight: the message names the URL and what happened."""

    def __str__(self) -> str:
        return self.message


async def reachable(client: GenesysClient, timeout: float = PREFLIGHT_TIMEOUT) -> int:
    """One unauthenticated GET with a short timeout; the HTTP status, or Unreachable naming the URL."""
    url = client.target.api_base
    try:
        response = await client.pool.members[0].http.get(
            url + "/api/v2/authorization/divisions/home", timeout=timeout
        )
    except httpx.TimeoutException:
        raise Unreachable(
            None, "unreachable", f"cannot reach {url}: no answer within {timeout:.0f} s"
        ) from None
    except httpx.HTTPError as exc:
        why = str(exc) or type(exc).__name__
        raise Unreachable(None, "unreachable", f"cannot reach {url}: {why}") from None
    return response.status_code
