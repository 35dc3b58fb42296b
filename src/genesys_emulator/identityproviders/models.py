"""SAML identity providers, one per provider type, as the platform keeps them."""

from __future__ import annotations

from ..errors import bad_request
from ..org import Org, new_id

# type path -> display name; the field set is the SDK's (Okta, ADFS, GenericSAML, ...) models
TYPES = {
    "okta": "Okta",
    "adfs": "ADFS",
    "onelogin": "OneLogin",
    "ping": "Ping Identity",
    "gsuite": "G Suite",
    "salesforce": "Salesforce",
    "generic": "Generic SAML",
    "identitynow": "IdentityNow",
    "purecloud": "PureCloud",
    "pureengage": "PureEngage",
    "cic": "CIC",
}
FIELDS = {
    "name": str,
    "disabled": bool,
    "issuerURI": str,
    "ssoTargetURI": str,
    "sloURI": str,
    "sloBinding": str,
    "relyingPartyIdentifier": str,
    "certificate": str,
    "certificates": list,
    "logoImageData": str,
    "nameIdentifierFormat": str,
    "ssoBinding": str,
    "signAuthnRequests": bool,
    "providerName": str,
    "displayOnLogin": bool,
    "metadataURL": str,
    "forceAuthn": bool,
    "endpointCompression": bool,
}


def put(org: Org, kind: str, body: dict) -> dict:
    for key, value in body.items():
        want = FIELDS.get(key)
        if want is not None and value is not None and not isinstance(value, want):
            raise bad_request(f"{key} must be a {want.__name__}.", "invalid.value")
    if body.get("certificate") and "BEGIN CERTIFICATE" in body["certificate"]:
        raise bad_request("certificate must be the base64 body without PEM armour.", "invalid.value")
    old = org.identity_providers.get(kind, {})
    rec = {"id": old.get("id") or new_id(), "name": TYPES[kind], "disabled": False}
    rec.update({k: v for k, v in body.items() if k in FIELDS and v is not None})
    org.identity_providers[kind] = rec
    org.touch()
    return rec


def render(kind: str, rec: dict) -> dict:
    return dict(rec, selfUri=f"/api/v2/identityproviders/{kind}")
