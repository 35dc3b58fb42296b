"""SAML IdP metadata → the `sso:` block of tenants.yaml. Parsed with defusedxml: metadata comes
from outside (a URL saved to a file, an IdP admin's download), so entity expansion, external
entities and DTDs are refused rather than trusted.
"""

from __future__ import annotations

import base64
import textwrap
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from tenantry.config.certs import CertificateError, CertInfo, check_certificate

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


class MetadataError(ValueError):
    """The sentence says what is wrong with the metadata."""


@dataclass
class IdpMetadata:
    entity_id: str
    sso_url: str
    binding: str
    certificates: list[CertInfo] = field(default_factory=list)  # signing certificates, valid now
    rejected: list[str] = field(default_factory=list)  # why other certificates were left out

    def pem(self) -> str:
        """The first signing certificate as PEM (the platform takes one)."""
        body = "\n".join(textwrap.wrap(self.certificates[0].body, 64))
        return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"

    def yaml_block(self, kind: str, certificate_file: str, name: str | None = None) -> str:
        lines = ["org:", "  sso:", f"    {kind}:"]
        if name:
            lines.append(f"      name: {_quote(name)}")
        lines += [
            f"      issuer_uri: {_quote(self.entity_id)}",
            f"      sso_target_uri: {_quote(self.sso_url)}",
            f"      certificate_file: {_quote(certificate_file)}",
        ]
        return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    """A YAML scalar that stays a string whatever it holds."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _idp(root: Element) -> tuple[Element, str]:
    entities = (
        [root] if root.tag == f"{{{MD}}}EntityDescriptor" else root.findall(f".//{{{MD}}}EntityDescriptor")
    )
    for e in entities:
        idp = e.find(f"{{{MD}}}IDPSSODescriptor")
        if idp is not None:
            return idp, e.get("entityID") or ""
    raise MetadataError("no IDPSSODescriptor: this is not the metadata of a SAML identity provider")


def parse_metadata(data: bytes) -> IdpMetadata:
    """Entity id, the SSO URL (HTTP-Redirect preferred, else HTTP-POST), valid signing certificates."""
    try:
        root = fromstring(data)
    except DefusedXmlException as exc:
        raise MetadataError(
            f"refused unsafe XML ({type(exc).__name__}): metadata needs no DTD or entities"
        ) from None
    except ParseError as exc:
        raise MetadataError(f"not well-formed XML: {exc}") from None
    idp, entity_id = _idp(root)
    if not entity_id:
        raise MetadataError("the EntityDescriptor has no entityID")
    services = {
        s.get("Binding"): s.get("Location") or "" for s in idp.findall(f"{{{MD}}}SingleSignOnService")
    }
    binding = REDIRECT if services.get(REDIRECT) else POST if services.get(POST) else ""
    if not binding:
        raise MetadataError("no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding")
    meta = IdpMetadata(entity_id, services[binding], binding)
    for kd in idp.findall(f"{{{MD}}}KeyDescriptor"):
        if kd.get("use") not in (None, "signing"):
            continue
        for node in kd.iter(f"{{{DS}}}X509Certificate"):
            text = "".join((node.text or "").split())
            try:
                meta.certificates.append(check_certificate(base64.b64decode(text, validate=True)))
            except (CertificateError, ValueError) as exc:
                meta.rejected.append(str(exc))
    if not meta.certificates:
        why = "; ".join(meta.rejected) or "none is listed"
        raise MetadataError(f"no usable signing certificate ({why})")
    return meta
