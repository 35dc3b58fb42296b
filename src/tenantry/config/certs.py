"""SAML IdP certificates: parsed as X.509 before anything is sent, so junk never breaks sign-in.

A file that is not a certificate, one that has expired or is not yet valid, is an input error at
load time (the plan never reads files); one expiring within `EXPIRY_WARNING_DAYS` is a warning.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

EXPIRY_WARNING_DAYS = 30


class CertificateError(ValueError):
    """The sentence says what is wrong with the certificate."""


@dataclass(frozen=True, slots=True)
class CertInfo:
    body: str  # base64 DER: the PEM body without its armour, as the platform wants it
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    checked_at: datetime

    @property
    def days_left(self) -> int:
        return (self.not_after - self.checked_at).days

    @property
    def expires_soon(self) -> bool:
        return self.not_after - self.checked_at <= timedelta(days=EXPIRY_WARNING_DAYS)

    def describe(self) -> str:
        return (
            f"subject {self.subject}, issuer {self.issuer}, expires {self.not_after:%Y-%m-%d %H:%M} UTC "
            f"(in {self.days_left} days)"
        )


def load_certificate(data: bytes) -> x509.Certificate:
    """The first certificate of a PEM file, or a DER one."""
    if b"-----BEGIN CERTIFICATE-----" in data:
        body = data.split(b"-----BEGIN CERTIFICATE-----", 1)[1].split(b"-----END CERTIFICATE-----", 1)[0]
        try:
            base64.b64decode(b"".join(body.split()), validate=True)
        except ValueError:
            raise CertificateError("the certificate's base64 body does not decode") from None
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise CertificateError("not an X.509 certificate (expected PEM or DER)") from None


def check_certificate(data: bytes, now: datetime | None = None) -> CertInfo:
    """Parse and check the validity window; raise CertificateError with the reason."""
    cert = load_certificate(data)
    now = now or datetime.now(UTC)
    before, after = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now < before:
        raise CertificateError(f"the certificate is not valid before {before:%Y-%m-%d %H:%M} UTC")
    if now > after:
        raise CertificateError(f"the certificate expired on {after:%Y-%m-%d %H:%M} UTC")
    body = base64.b64encode(cert.public_bytes(Encoding.DER)).decode()
    return CertInfo(body, cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(), before, after, now)
