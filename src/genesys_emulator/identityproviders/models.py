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
    """A PUT replaces the provider, except `certificates`: sent without it, the provider keeps its
    old list (the platform's behaviour that strands a rotated certificate), or starts one from
    `certificate` when it had none."""
    for key, value in body.items():
        want = FIELDS.get(key)
        if want is not None and value is not None and not isinstance(value, want):
            raise bad_request(f"{key} must be a {want.__name__}.", "invalid.value")
    # a certificate is accepted PEM-armoured or as bare DER-base64, as the platform does
    for i, cert in enumerate(body.get("certificates") or []):
        if not isinstance(cert, str):
            raise bad_request(f"certificates[{i}] must be a string.", "invalid.value")
    old = org.identity_providers.get(kind, {})
    rec = {"id": old.get("id") or new_id(), "name": TYPES[kind], "disabled": False}
    rec.update({k: v for k, v in body.items() if k in FIELDS and v is not None})
    if body.get("certificates") is None:
        kept = old.get("certificates") or ([body["certificate"]] if body.get("certificate") else None)
        if kept:
            rec["certificates"] = list(kept)
    org.identity_providers[kind] = rec
    org.touch()
    return rec


def render(kind: str, rec: dict) -> dict:
    return dict(rec, selfUri=f"/api/v2/identityproviders/{kind}")
