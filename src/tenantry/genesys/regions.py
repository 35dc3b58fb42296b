"""Where a Genesys Cloud org lives: region names, domains, and the login/API hosts derived from them.

The region list is the SDK's `PureCloudRegionHosts`. The login host is derived the way the SDK
does it (`//api.` -> `//login.`); a URL without an `api.` host (the emulator) serves both.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tenantry.genesys.errors import ConfigError

REGION_DOMAINS: dict[str, str] = {
    "us-east-1": "mypurecloud.com",
    "eu-west-1": "mypurecloud.ie",
    "ap-southeast-2": "mypurecloud.com.au",
    "ap-northeast-1": "mypurecloud.jp",
    "eu-central-1": "mypurecloud.de",
    "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud",
    "ap-northeast-2": "apne2.pure.cloud",
    "eu-west-2": "euw2.pure.cloud",
    "ap-south-1": "aps1.pure.cloud",
    "us-east-2": "use2.us-gov-pure.cloud",
    "sa-east-1": "sae1.pure.cloud",
    "me-central-1": "mec1.pure.cloud",
    "ap-northeast-3": "apne3.pure.cloud",
    "eu-central-2": "euc2.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud",
    "ap-southeast-1": "apse1.pure.cloud",
    "eusc-de-east-1": "edee1.eusc-pure.cloud",
}


@dataclass(frozen=True)
class Target:
    """The two origins a client talks to: the API and the OAuth token endpoint."""

    api_base: str
    login_base: str

    @property
    def token_url(self) -> str:
        return f"{self.login_base}/oauth/token"


def resolve_target(value: str) -> Target:
    """Turn a region name, a domain or a full URL into a Target."""
    text = value.strip()
    region = text.lower().replace("_", "-")
    if region in REGION_DOMAINS:
        return _from_domain(REGION_DOMAINS[region])
    if "://" in text:
        return _from_url(text)
    if "." in text and " " not in text and "/" not in text:
        domain = text.lower()
        for prefix in ("api.", "login."):
            domain = domain.removeprefix(prefix)
        return _from_domain(domain)
    raise ConfigError(
        f"Unknown Genesys Cloud target {value!r}: use a region such as us-east-1, "
        "a domain such as mypurecloud.ie, or a URL such as https://api.mypurecloud.ie."
    )


def _from_domain(domain: str) -> Target:
    return Target(api_base=f"https://api.{domain}", login_base=f"https://login.{domain}")


def _from_url(text: str) -> Target:
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ConfigError(f"Genesys Cloud target {text!r} is not a valid URL.") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(f"Genesys Cloud target {text!r} must be an http(s) URL with a host.")
    origin = f"{url.scheme}://{url.netloc.decode()}"
    if url.host.startswith("api."):
        return Target(api_base=origin, login_base=origin.replace("//api.", "//login.", 1))
    return Target(api_base=origin, login_base=origin)
