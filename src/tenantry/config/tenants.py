"""tenants.yaml: the tenants as code. Loaded into pydantic models; every error names file, line, field.

A tenant is one division, its role-carrying groups, its queues, its OAuth clients, the people
its membership rules select, and BPO staff explicitly allowed in. See examples/bpo/tenants.yaml.
"""

from __future__ import annotations

import contextlib
import functools
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import re2
from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from tenantry.config.base import Strict
from tenantry.config.certs import CertificateError, CertInfo, check_certificate
from tenantry.config.integrations import SOURCE_NAME, EventsSettings, SourceSpec
from tenantry.errors import InputError, Problem

_RE2 = re2.Options()
_RE2.log_errors = False


@functools.lru_cache(maxsize=4096)
def linear_pattern(pattern: str) -> Any:
    """Membership rules run on RE2, a linear-time engine: no pattern can backtrack catastrophically
    (a 28-character title cost 9 s with Python's `re`). Raises re2.error on what RE2 refuses."""
    return re2.compile(pattern, options=_RE2)


class Match(Strict):
    """One attribute test. A bare string means `equals`, a list means `one_of`."""

    equals: str | None = None
    one_of: list[str] | None = None
    pattern: str | None = None
    contains: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                linear_pattern(v)
            except re2.error as exc:
                why = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
                raise ValueError(
                    f"invalid regular expression {v!r} for the linear-time engine (RE2): {why}; "
                    "back-references and look-arounds are not supported"
                ) from None
        return v

    @model_validator(mode="after")
    def _one_test(self) -> Match:
        given = [k for k in ("equals", "one_of", "pattern", "contains") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, one_of, pattern, contains")
        return self

    def test(self, value: str | None) -> bool:
        if value is None:
            return False
        v = value.casefold()
        if self.equals is not None:
            return v == self.equals.casefold()
        if self.one_of is not None:
            return v in {x.casefold() for x in self.one_of}
        if self.pattern is not None:
            return linear_pattern(self.pattern).search(value) is not None
        return (self.contains or "").casefold() in v


def _as_match(value: Any) -> Any:
    if isinstance(value, str):
        return {"equals": value}
    if isinstance(value, list):
        return {"one_of": value}
    return value


class Rule(Strict):
    """All of its tests must hold. `idp_group` tests membership of an IdP group by exact name."""

    idp_group: str | None = None
    attributes: dict[str, Match] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("a rule is a mapping such as {client: ACME} or {idp_group: ACME-Agents}")
        idp = data.get("idp_group")
        attrs = {k: _as_match(v) for k, v in data.items() if k != "idp_group"}
        if idp is None and not attrs:
            raise ValueError("a rule needs at least one test")
        return {"idp_group": idp, "attributes": attrs}

    def test(self, attributes: dict[str, str], idp_groups: frozenset[str]) -> bool:
        if self.idp_group is not None and self.idp_group not in idp_groups:
            return False
        return all(m.test(attributes.get(k)) for k, m in self.attributes.items())


def matches(rules: list[Rule], attributes: dict[str, str], idp_groups: frozenset[str]) -> bool:
    """Any rule of the list."""
    return any(r.test(attributes, idp_groups) for r in rules)


RoleList = Annotated[list[str], Field(min_length=1)]


class GroupSpec(Strict):
    name: str | None = None
    description: str = ""
    roles: RoleList
    members: Literal["all"] | list[Rule] = "all"
    allow_admin_role: bool = False  # a role with admin-level permissions is refused unless this says so


class QueueSpec(Strict):
    name: str
    groups: list[str] = Field(default_factory=list)
    description: str = ""


class OAuthClientSpec(Strict):
    name: str
    roles: RoleList
    description: str = ""
    token_ttl_seconds: int = Field(default=86_400, ge=300, le=172_800)
    allow_admin_role: bool = False


class StaffSpec(Strict):
    email: str
    roles: RoleList
    allow_admin_role: bool = False

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", v):
            raise ValueError("not a valid email address")
        return v.lower()


class TenantSpec(Strict):
    division: str
    description: str = ""
    members: Annotated[list[Rule], Field(min_length=1)]
    groups: Annotated[dict[str, GroupSpec], Field(min_length=1)]
    queues: list[QueueSpec] = Field(default_factory=list)
    oauth_clients: list[OAuthClientSpec] = Field(default_factory=list)
    staff: list[StaffSpec] = Field(default_factory=list)

    def group_name(self, key: str) -> str:
        return self.groups[key].name or f"{self.division} {key}"


SsoType = Literal["okta", "adfs", "onelogin", "ping", "gsuite", "salesforce", "generic"]


class SsoSpec(Strict):
    """A SAML identity provider for people's sign-in. The certificate is public; it is read from a
    PEM or DER file next to tenants.yaml when the config is loaded, checked as X.509 (config/certs.py),
    and sent without its armour, as the platform wants it."""

    name: str | None = None
    issuer_uri: str
    sso_target_uri: str
    relying_party_identifier: str | None = None
    certificate_file: str
    name_identifier_format: str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    disabled: bool = False

    _cert: CertInfo | None = PrivateAttr(default=None)  # set by `load`, which reads and checks the file

    @property
    def cert(self) -> CertInfo | None:
        return self._cert

    def certificate(self, base: Path | None = None) -> str:
        if self._cert is not None:
            return self._cert.body
        if base is None:
            raise ValueError("the certificate was not loaded: load tenants.yaml with config.tenants.load")
        return check_certificate((base / self.certificate_file).read_bytes()).body

    def wire(self, base: Path | None = None) -> dict[str, Any]:
        """The fields tenantry manages, by their API names (the certificate as loaded)."""
        out: dict[str, Any] = {
            "issuerURI": self.issuer_uri,
            "ssoTargetURI": self.sso_target_uri,
            "certificate": self.certificate(base),
            "nameIdentifierFormat": self.name_identifier_format,
            "disabled": self.disabled,
        }
        if self.name:
            out["name"] = self.name
        if self.relying_party_identifier:
            out["relyingPartyIdentifier"] = self.relying_party_identifier
        return out


class OrgSettings(Strict):
    target: str | None = None
    journal: str = "sqlite:///tenantry.db"
    home_division: str = "Home"
    protected: list[str] = Field(default_factory=list)
    org_admins: list[str] = Field(default_factory=list)
    # tenants removed on purpose: what tenantry made for them is revoked (members, grants), never deleted
    retired_tenants: list[str] = Field(default_factory=list)
    leaver_retention_days: int = Field(30, ge=0)
    mass_revoke_threshold: float = Field(0.10, gt=0, le=1)
    sso: dict[Literal["okta", "adfs", "onelogin", "ping", "gsuite", "salesforce", "generic"], SsoSpec] = (
        Field(default_factory=dict)
    )


class Config(Strict):
    org: OrgSettings = Field(default_factory=lambda: OrgSettings())
    events: EventsSettings = Field(default_factory=EventsSettings)
    tenants: Annotated[dict[str, TenantSpec], Field(min_length=1)]
    sources: dict[str, SourceSpec] = Field(default_factory=dict)
    _source: str = PrivateAttr(default="tenants.yaml")
    _doc: Any = PrivateAttr(default=None)

    @property
    def base_dir(self) -> Path:
        """Files named in tenants.yaml (certificates, the SQLite journal, secrets) are relative to it."""
        return Path(self._source).parent

    @property
    def secrets_dir(self) -> Path:
        """New OAuth client secrets go next to tenants.yaml, wherever tenantry is run from."""
        return self.base_dir / SECRETS_DIR

    def where(self, dotted: str) -> tuple[str, int | None]:
        """(file, line) of a field, so errors found later (at plan time) still point at it."""
        loc = tuple(int(x) if x.isdigit() else x for x in dotted.split("."))
        return self._source, (_line_of(self._doc, loc) if self._doc is not None else None)

    def problem(self, dotted: str, message: str) -> Problem:
        file, line = self.where(dotted)
        return Problem(file, line, dotted, message)

    @model_validator(mode="after")
    def _cross(self) -> Config:
        seen: dict[str, dict[str, str]] = {"division": {}, "group": {}, "queue": {}, "oauth client": {}}

        def unique(kind: str, name: str, where: str) -> None:
            low = name.casefold()
            if low in seen[kind]:
                raise ValueError(f"{where}: {kind} name {name!r} is also used by {seen[kind][low]}")
            seen[kind][low] = where

        for key, t in self.tenants.items():
            unique("division", t.division, f"tenants.{key}.division")
            for gkey in t.groups:
                unique("group", t.group_name(gkey), f"tenants.{key}.groups.{gkey}")
            for i, q in enumerate(t.queues):
                unique("queue", q.name, f"tenants.{key}.queues.{i}")
                for g in q.groups:
                    if g not in t.groups:
                        raise ValueError(
                            f"tenants.{key}.queues.{i}.groups: {g!r} is not a group of tenant {key}"
                        )
            for i, c in enumerate(t.oauth_clients):
                unique("oauth client", c.name, f"tenants.{key}.oauth_clients.{i}")
        if any(t.division.casefold() == self.org.home_division.casefold() for t in self.tenants.values()):
            raise ValueError("a tenant's division cannot be the home division")
        for name, src in self.sources.items():
            if not SOURCE_NAME.match(name):
                raise ValueError(f"sources.{name}: a source name is lower-case letters, digits and dashes")
            for i, tkey in enumerate(src.tenants):
                if tkey not in self.tenants:
                    raise ValueError(f"sources.{name}.tenants.{i}: {tkey!r} is not a tenant of this file")
        return self


def unknown_columns(config: Config, columns: frozenset[str], feed: str) -> list[Problem]:
    """Rule tests naming an attribute the feed has no column for: each would be false for everyone,
    silently taking the tenant's people out of it. (`idp_group` tests are not columns: IdP groups
    may come from the IdP rather than the feed.)"""
    shown = ", ".join(sorted(columns))
    problems = []
    for key, t in config.tenants.items():
        places = [(f"tenants.{key}.members.{i}", r) for i, r in enumerate(t.members)]
        places += [
            (f"tenants.{key}.groups.{g}.members.{i}", r)
            for g, spec in t.groups.items()
            if spec.members != "all"
            for i, r in enumerate(spec.members)
        ]
        for where, rule in places:
            for attr in rule.attributes:
                if attr not in columns:
                    field = f"{where}.{attr}"
                    problems.append(
                        config.problem(
                            field,
                            f"the rule tests {attr!r}, which is not a column of the feed {feed} "
                            f"(its columns: {shown}); fix the rule or the feed",
                        )
                    )
    return problems


# ---- loading with line numbers ------------------------------------------------------------
def _walk(node: Any, loc: tuple[Any, ...]) -> tuple[int | None, tuple[Any, ...]]:
    """Follow a pydantic error location through ruamel's round-trip nodes: (line, path in document).

    Segments that are not in the document (pydantic's own, such as a union branch) are skipped.
    """
    line, kept = None, []
    for part in loc:
        in_map = isinstance(node, dict) and part in node
        in_seq = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_map or in_seq):
            continue
        lc = getattr(node, "lc", None)
        with contextlib.suppress(KeyError, TypeError, IndexError, AttributeError):
            if lc is not None:
                line = (lc.key(part) if in_map else lc.item(part))[0] + 1
        kept.append(part)
        node = node[part]
    return line, tuple(kept)


def _line_of(node: Any, loc: tuple[Any, ...]) -> int | None:
    return _walk(node, loc)[0]


SECRETS_DIR = "tenantry-secrets"
_CROSS = re.compile(r"^(?:Value error, )?((?:tenants|sources)\.[\w.\-]+): (.*)$", re.S)


MAX_DEPTH = 64


def _too_deep(text: str) -> int | None:
    """The line where nesting (flow brackets or indentation) passes MAX_DEPTH: the parser would
    recurse without bound on it. Quoted text is not told apart: a tenants.yaml never needs 64."""
    depth = 0
    for n, line in enumerate(text.splitlines(), 1):
        indent = len(line) - len(line.lstrip(" "))
        for ch in line:
            if ch in "[{":
                depth += 1
            elif ch in "]}":
                depth = max(0, depth - 1)
            if depth > MAX_DEPTH:
                return n
        if indent // 2 > MAX_DEPTH:
            return n
    return None


def load(path: str | Path, *, certificates: bool = True) -> Config:
    """Read and validate tenants.yaml; raise InputError naming file, line and field.

    `certificates=False` leaves the SSO certificate files unread (`validate` reports their problems
    with everything else, through `load_certificates`)."""
    p = Path(path)
    name = str(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise InputError([Problem(name, None, "", f"cannot read: {exc.strerror}")]) from None
    deep = _too_deep(text)
    if deep is not None:
        raise InputError([Problem(name, deep, "", f"not valid here: nested deeper than {MAX_DEPTH} levels")])
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise InputError([Problem(name, line, "", f"not valid YAML: {exc.problem}")]) from None
    except YAMLError as exc:  # a control character, …: ruamel reports a position, not a line
        pos = getattr(exc, "position", None)
        line = text.count("\n", 0, pos) + 1 if isinstance(pos, int) else None
        why = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        raise InputError([Problem(name, line, "", f"not valid YAML: {why}")]) from None
    except RecursionError:
        raise InputError([Problem(name, None, "", "not valid YAML: nested too deeply")]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(name, 1, "", "the file must be a mapping with `org` and `tenants`")])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise InputError(_problems(exc, name, data)) from None
    journal = relative_sqlite(config.org.journal, p.parent)
    if journal != config.org.journal:
        config = config.model_copy(update={"org": config.org.model_copy(update={"journal": journal})})
    config._source, config._doc = name, data
    problems = load_certificates(config) if certificates else []
    if problems:
        raise InputError(problems)
    return config


def relative_sqlite(url: str, base: Path) -> str:
    """A SQLite journal with a relative path lives in the folder of tenants.yaml, not the cwd."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/") or url == prefix:
        return url
    rest = url[len(prefix) :]
    if rest.startswith(":memory:") or Path(rest).is_absolute():
        return url
    return prefix + str((base / rest).resolve())


def load_certificates(config: Config) -> list[Problem]:
    """Read and check each SSO certificate file; the plan then uses what was read, and never reads."""
    problems = []
    for kind, spec in config.org.sso.items():
        field = f"org.sso.{kind}.certificate_file"
        path = config.base_dir / spec.certificate_file
        try:
            spec._cert = check_certificate(path.read_bytes())
        except OSError:
            problems.append(config.problem(field, f"cannot read {spec.certificate_file!r}"))
        except CertificateError as exc:
            problems.append(config.problem(field, f"{spec.certificate_file}: {exc}"))
    return problems


def _problems(exc: ValidationError, name: str, data: Any) -> list[Problem]:
    """pydantic's errors, each at its line in the document."""
    problems = []
    for err in exc.errors():
        msg = err["msg"]
        cross = _CROSS.match(msg)
        if cross:  # a cross-field rule names its own place
            dotted = cross.group(1)
            loc = tuple(int(x) if x.isdigit() else x for x in dotted.split("."))
            problems.append(Problem(name, _line_of(data, loc), dotted, cross.group(2)))
            continue
        line, kept = _walk(data, err["loc"])
        msg = msg.removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = _unknown_field(err["loc"][-1] if err["loc"] else "")
        elif err["type"] == "missing" and err["loc"]:
            msg = f"required field {err['loc'][-1]!r} is missing"
        field = ".".join(map(str, kept or err["loc"]))
        problems.append(Problem(name, line, field, msg))
    return problems


def _unknown_field(name: object) -> str:
    """A misspelt key: name the field it most likely meant."""
    import difflib

    known = {
        f
        for m in (TenantSpec, GroupSpec, QueueSpec, OAuthClientSpec, StaffSpec, SsoSpec, OrgSettings, Config)
        for f in m.model_fields
    }
    close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.75)
    hint = (
        f"; did you mean {close[0]!r}?" if close else " (check the spelling; see examples/bpo/tenants.yaml)"
    )
    return f"unknown field {name!r}{hint}"
