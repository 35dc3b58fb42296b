"""The Genesys Cloud client layer: the only code in tenantry that opens a connection.

    settings = load_settings()                 # env vars or a named profile
    async with GenesysClient.from_settings(settings) as client:
        users = await api.users.list_users(client)

`GenesysClient` (http.py) holds a pool of OAuth clients (pool.py), each with its token
(auth.py) and rate budget (budget.py); `api/` has typed functions per API area.
"""

from tenantry.genesys import api
from tenantry.genesys.config import Credentials, GenesysSettings, load_settings
from tenantry.genesys.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ConflictError,
    ForbiddenError,
    GenesysError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.metrics import Metrics
from tenantry.genesys.paging import Listing
from tenantry.genesys.regions import REGION_DOMAINS, Target, resolve_target
from tenantry.genesys.retry import RetryPolicy

__all__ = [
    "REGION_DOMAINS",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ConflictError",
    "Credentials",
    "ForbiddenError",
    "GenesysClient",
    "GenesysError",
    "GenesysSettings",
    "Listing",
    "Metrics",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "Target",
    "TransportError",
    "UnauthorizedError",
    "api",
    "load_settings",
    "resolve_target",
]
