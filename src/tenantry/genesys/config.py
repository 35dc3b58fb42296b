"""Where credentials come from: the conventional environment variables or a named profile.

Environment (as the Terraform provider and the Genesys CLI use them):
``GENESYSCLOUD_OAUTHCLIENT_ID``, ``GENESYSCLOUD_OAUTHCLIENT_SECRET`` and ``GENESYSCLOUD_REGION``
(a region name) or ``GENESYSCLOUD_API_REGION`` (a full API URL).

Profiles live in a TOML or YAML file (``--config``, ``$TENANTRY_GENESYS_CONFIG`` or
``~/.config/tenantry/genesys.toml``)::

    [profiles.prod]
    region = "eu-west-1"                      # or target = "https://api.mypurecloud.ie"
    client_id = "..."
    client_secret_env = "PROD_GENESYS_SECRET" # read the secret from the environment
    rate_limit = 300                          # optional: requests per window per token
    rate_window = 60
    token_pool_size = 10                      # optional: tokens minted from each client (1-50);
                                              # absent or "auto": sized to the work

    [[profiles.prod.clients]]                 # more OAuth clients: a token pool
    client_id = "..."
    client_secret_env = "PROD_GENESYS_SECRET_2"

A secret may also be written inline as ``client_secret``; the file is then a secret itself.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from tenantry.genesys.errors import ConfigError
from tenantry.genesys.regions import Target, resolve_target

ENV_CLIENT_ID = "GENESYSCLOUD_OAUTHCLIENT_ID"
ENV_CLIENT_SECRET = "GENESYSCLOUD_OAUTHCLIENT_SECRET"
ENV_REGION = "GENESYSCLOUD_REGION"
ENV_API_REGION = "GENESYSCLOUD_API_REGION"
ENV_CONFIG = "TENANTRY_GENESYS_CONFIG"
ENV_POOL_SIZE = "GENESYSCLOUD_TOKEN_POOL_SIZE"  # as the Terraform provider names it
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Credentials:
    """One OAuth client (client-credentials grant); the secret never prints."""

    client_id: str
    client_secret: SecretStr

    @classmethod
    def of(cls, client_id: str, client_secret: str) -> Credentials:
        return cls(client_id, SecretStr(client_secret))


@dataclass(frozen=True)
class GenesysSettings:
    """Everything needed to build a client: where, who (one or more clients), how fast."""

    target: Target
    clients: tuple[Credentials, ...]
    rate_limit: int = 300
    rate_window: float = 60.0
    source: str = "environment"
    token_pool_size: int | None = None
    """Tokens minted from each OAuth client (1–50); None: sized to the work."""
    extra: Mapping[str, Any] = field(default_factory=dict)


def default_config_path(env: Mapping[str, str]) -> Path:
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG])
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "tenantry" / "genesys.toml"


def load_settings(
    profile: str | None = None,
    config_path: Path | None = None,
    *,
    target: str | None = None,
    env: Mapping[str, str] | None = None,
) -> GenesysSettings:
    """Read settings from a named profile, else from the environment; raise ConfigError if neither."""
    env = os.environ if env is None else env
    if profile:
        path = config_path or default_config_path(env)
        return _from_profile(path, profile, target, env)
    if env.get(ENV_CLIENT_ID) or env.get(ENV_CLIENT_SECRET):
        return _from_env(env, target)
    path = config_path or default_config_path(env)
    if path.exists() and "default" in _read_profiles(path):
        return _from_profile(path, "default", target, env)
    raise ConfigError(
        f"No Genesys Cloud credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} "
        f"(and {ENV_REGION} or {ENV_API_REGION}), or name a profile with --profile."
    )


def _from_env(env: Mapping[str, str], target: str | None) -> GenesysSettings:
    client_id = env.get(ENV_CLIENT_ID, "").strip()
    secret = env.get(ENV_CLIENT_SECRET, "").strip()
    if not client_id or not secret:
        missing = ENV_CLIENT_ID if not client_id else ENV_CLIENT_SECRET
        raise ConfigError(f"{missing} is not set; both {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} are needed.")
    where = target or env.get(ENV_API_REGION) or env.get(ENV_REGION) or DEFAULT_REGION
    return GenesysSettings(
        resolve_target(where),
        (Credentials.of(client_id, secret),),
        source="environment",
        token_pool_size=_pool_size(env.get(ENV_POOL_SIZE), f"${ENV_POOL_SIZE}"),
    )


def _read_profiles(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read the Genesys config file {path}: {exc.strerror}.") from exc
    try:
        if path.suffix in (".yaml", ".yml"):
            from ruamel.yaml import YAML

            data = YAML(typ="safe").load(text) or {}
        else:
            data = tomllib.loads(text)
    except Exception as exc:  # both parsers raise their own error families
        raise ConfigError(f"The Genesys config file {path} is not valid: {exc}.") from exc
    profiles = data.get("profiles") if isinstance(data, dict) else None
    if not isinstance(profiles, dict):
        raise ConfigError(f"The Genesys config file {path} has no [profiles] table.")
    return profiles


def _from_profile(path: Path, name: str, target: str | None, env: Mapping[str, str]) -> GenesysSettings:
    if not path.exists():
        raise ConfigError(f"Profile {name!r} was asked for, but the config file {path} does not exist.")
    profiles = _read_profiles(path)
    raw = profiles.get(name)
    if not isinstance(raw, dict):
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"Profile {name!r} is not in {path} (profiles there: {known}).")
    entries = ([raw] if raw.get("client_id") else []) + list(raw.get("clients") or [])
    if not entries:
        raise ConfigError(f"Profile {name!r} in {path} names no client_id.")
    clients = tuple(_credentials(entry, name, path, env) for entry in entries)
    where = target or raw.get("target") or raw.get("api_region") or raw.get("region") or DEFAULT_REGION
    return GenesysSettings(
        resolve_target(str(where)),
        clients,
        rate_limit=int(raw.get("rate_limit", 300)),
        rate_window=float(raw.get("rate_window", 60.0)),
        source=f"profile {name} in {path}",
        token_pool_size=_pool_size(raw.get("token_pool_size"), f"profile {name!r} in {path}"),
    )


def _pool_size(value: Any, where: str) -> int | None:
    """`token_pool_size`: absent or "auto" sizes the pool to the work; else 1–50 tokens a client."""
    if value is None or value == "auto":
        return None
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if isinstance(value, bool) or not 1 <= size <= 50 or str(size) != str(value).strip():
        raise ConfigError(f"token_pool_size of {where} must be a whole number from 1 to 50, or auto.")
    return size


def _credentials(entry: Any, profile: str, path: Path, env: Mapping[str, str]) -> Credentials:
    if not isinstance(entry, dict) or not entry.get("client_id"):
        raise ConfigError(f"Profile {profile!r} in {path} has a client without client_id.")
    secret = entry.get("client_secret")
    secret_env = entry.get("client_secret_env")
    if secret_env:
        secret = env.get(str(secret_env))
        if not secret:
            raise ConfigError(
                f"Profile {profile!r} reads the secret of client {entry['client_id']} "
                f"from ${secret_env}, which is not set."
            )
    if not secret:
        raise ConfigError(
            f"Profile {profile!r} in {path} gives no client_secret or client_secret_env "
            f"for client {entry['client_id']}."
        )
    return Credentials.of(str(entry["client_id"]), str(secret))
