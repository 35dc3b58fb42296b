"""`tenantry sso import metadata.xml`: SAML IdP metadata → a certificate file and the `sso:` block
to paste into tenants.yaml. Reads a file only (save a metadata URL with curl first): nothing is
fetched, nothing in the org changes.

Exit codes: 0 printed, 1 bad metadata (unsafe or malformed XML, no IdP, no usable certificate).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, get_args

import typer
from rich.console import Console
from rich.markup import escape

from tenantry.config.saml import MetadataError, parse_metadata
from tenantry.config.tenants import SsoType

sso_app = typer.Typer(
    help="SAML sign-in: turn IdP metadata into tenants.yaml's sso block.", no_args_is_help=True
)
KINDS: tuple[str, ...] = get_args(SsoType)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(1)


@sso_app.command("import")
def import_command(
    metadata: Annotated[Path, typer.Argument(help="SAML IdP metadata XML (a URL saved to a file).")],
    kind: Annotated[str, typer.Option("--type", help=f"Provider type: {', '.join(KINDS)}.")] = "generic",
    name: Annotated[str | None, typer.Option("--name", help="The provider's display name.")] = None,
    cert_out: Annotated[
        Path | None,
        typer.Option(
            "--cert-out", help="Where to write the signing certificate (PEM); default next to the XML."
        ),
    ] = None,
) -> None:
    """Print the `sso:` block for tenants.yaml and write the IdP's signing certificate beside it."""
    if kind not in KINDS:
        raise _fail(f"--type {kind!r} is not one of {', '.join(KINDS)}")
    try:
        meta = parse_metadata(metadata.read_bytes())
    except OSError as exc:
        raise _fail(f"{metadata}: cannot read: {exc.strerror}") from None
    except MetadataError as exc:
        raise _fail(f"{metadata}: {exc}") from None
    pem_path = cert_out or metadata.with_name(f"{metadata.stem}-signing.pem")
    if not pem_path.parent.is_dir():
        raise _fail(f"cannot write {pem_path}: folder {pem_path.parent} does not exist")
    pem_path.write_text(meta.pem())
    err = Console(stderr=True, soft_wrap=True)
    cert = meta.certificates[0]
    err.print(f"signing certificate written to {escape(str(pem_path))}: {escape(cert.describe())}")
    for why in meta.rejected:
        err.print(f"[yellow]left out:[/yellow] a certificate in the metadata: {escape(why)}")
    if len(meta.certificates) > 1:
        err.print(f"[yellow]note:[/yellow] {len(meta.certificates)} signing certificates; the first is used")
    binding = "HTTP-Redirect" if meta.binding.endswith("Redirect") else "HTTP-POST"
    err.print(f"SSO URL from the {binding} binding; the certificate_file path is relative to tenants.yaml")
    typer.echo(meta.yaml_block(kind, pem_path.name, name), nl=False)
