"""SCIM 2.0, Genesys flavour: a SCIM user *is* an emulator user, a SCIM group an emulator group.

State stays in the shared `Org`: SCIM-only user fields live in the user record's `scim` sub-dict
(externalId, work email, phone numbers, employee number, hire date, routing skills and languages,
external ids), and a group's SCIM externalId in the group record's `scim` sub-dict. Nothing SCIM
stores clashes with the keys the users and groups areas own.

Decisions where the platform's behaviour is not written down (the SDK's docstrings, RFC 7643/7644
and the Resource Center's field-mapping table are the sources):

- **Versions.** `meta.version` and the `ETag` header are `W/"<version>"` of the user (or group)
  record. `If-Match` accepts `W/"n"`, `"n"`, `n` or `*`. A stale `If-Match` answers **400 with
  scimType `invalidVers`**: that is what every SCIM method of the SDK documents ("If the ETag is
  different from the version on the server, returns 400 with a scimType of invalidVers"), and
  the SDK's ScimError knows no other scimType for it. `If-None-Match` with the current version
  on GET answers 304. `STALE_VERSION_STATUS` switches to RFC 7644's 412 in one place.
- **roles.** SCIM role entries carry a role name and no division, so SCIM cannot say "Agent in
  division Acme". The emulator accepts `roles` on POST/PUT/PATCH, checks that every name is a
  role of the org (400 invalidValue otherwise), and does **not** create or remove grants: grants
  are made through the authorization API (or inherited from role-enabled groups). `roles` is
  rendered as the names of the roles the user holds by direct grant, in any division. An IdP
  that pushes roles therefore sees them not applied, which is the honest answer for an emulator
  that will not guess which division a name-only role lands in.
- **PUT** replaces the core attributes (absent `title`, `phoneNumbers`, work email, `externalId`
  are cleared); an extension object absent from the body leaves its attributes unchanged, and an
  absent or empty enterprise `division` never moves the user (an IdP that does not map division
  must not pull people back into Home). `active` absent leaves the state unchanged.
- **PATCH** applies the operations to the user's current SCIM representation and then validates
  the result exactly like a PUT, so a PATCH can never produce a state a PUT could not. Operation
  names are case-insensitive and `active` accepts "True"/"False" strings (Azure sends both). A
  `replace` on `emails[type eq "work"].value` with no work email creates it.
- **Filters** support `eq`, `and`, `or`, `not(...)`, parentheses and value paths such as
  `emails[type eq "work"]` or the Genesys `externalIds[authority eq "a" and value eq "b"]`.
  Other operators answer 400 invalidFilter. String values are JSON strings; a bare word is read
  as a string (the Genesys docs show `userName eq search@sample.org`). Without any condition on
  `active` a listing returns active users only, as the platform documents.
- **Paging.** `count` defaults to 25; above 25 without `attributes`/`excludedAttributes` the
  listing answers 429 (Retry-After) - the platform's "may exceed internal resource limits",
  made deterministic. `count` is capped at `MAX_COUNT`; `count=0` answers totalResults only.
- **Groups** cannot be created or deleted through SCIM. `displayName` is immutable (an IdP group
  maps to an existing Genesys group by name): a different one answers 400 mutability. Members
  are users only. Members the caller cannot see stay untouched by PUT and are not rendered.
- **password** is accepted and validated as a string, never stored and never rendered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from ..divisions.models import by_name as division_by_name
from ..errors import ApiError
from ..org import Org, now_iso
from ..users.models import EMAIL

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GENESYS = "urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

MEDIA_TYPE = "application/scim+json"
SCIM_AUTHORITY = "x-pc:scimv2:v1"  # the immutable authority of the SCIM externalId in externalIds
FREE_COUNT = 25  # above this, a listing needs attributes/excludedAttributes or it answers 429
MAX_COUNT = 100
MAX_ROUTING = 50
STALE_VERSION_STATUS = 400  # what the SDK documents; RFC 7644 would say 412
EMAIL_TYPES = ("work", "other")
PHONE_TYPES = (
    "work",
    "work2",
    "work3",
    "work4",
    "home",
    "mobile",
    "other",
    "microsoftteams",
    "zoomphone",
    "eightbyeight",
    "ringcentral",
)
DOCS = "https://developer.genesys.cloud/useragentmanagement/scim/scim-documentation"


# ---- errors ---------------------------------------------------------------------------------
class ScimError(ApiError):
    """Answered in the SCIM error shape (RFC 7644 §3.12) with the SCIM media type."""

    def __init__(
        self,
        status: int,
        detail: str,
        scim_type: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, scim_type or "scim.error", detail, headers=headers)
        self.headers.setdefault("Content-Type", MEDIA_TYPE)
        self.scim_type = scim_type

    def body(self, correlation_id: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"schemas": [ERROR], "status": str(self.status)}
        if self.scim_type:
            out["scimType"] = self.scim_type
        out["detail"] = self.message
        return out


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


def mutability(detail: str) -> ScimError:
    return ScimError(400, detail, "mutability")


def not_found(kind: str, ident: str) -> ScimError:
    return ScimError(404, f"{kind} {ident} not found.")


def from_api_error(err: ApiError) -> ScimError:
    """A platform error raised by shared code, re-shaped for a SCIM caller."""
    if isinstance(err, ScimError):
        return err
    scim_type = {400: "invalidValue", 409: "uniqueness"}.get(err.status)
    headers = {k: v for k, v in err.headers.items() if k.lower() != "content-type"}
    return ScimError(err.status, err.message, scim_type, headers=headers)


# ---- versions -------------------------------------------------------------------------------
def etag(version: int) -> str:
    """Strong ETags, as the platform sends ("42"); a weak W/"42" in If-Match is read too."""
    return f'"{version}"'


def _etag_values(header: str) -> set[str]:
    out = set()
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith(("W/", "w/")):
            tag = tag[2:]
        out.add(tag.strip().strip('"'))
    return out


def check_if_match(header: str | None, version: int) -> None:
    if header is None or not header.strip():
        return
    tags = _etag_values(header)
    if "*" in tags or str(version) in tags:
        return
    raise ScimError(
        STALE_VERSION_STATUS,
        f"The version in If-Match ({header.strip()}) does not match the current version {etag(version)}.",
        "invalidVers" if STALE_VERSION_STATUS == 400 else None,
    )


def not_modified(header: str | None, version: int) -> bool:
    return bool(header) and str(version) in _etag_values(header or "")


# ---- attribute names ------------------------------------------------------------------------
# canonical attribute names per schema; lookups are case-insensitive (RFC 7643 §2.1)
USER_ATTRS: dict[str, tuple[str, ...]] = {
    CORE_USER: (
        "id",
        "externalId",
        "userName",
        "displayName",
        "title",
        "active",
        "password",
        "emails",
        "phoneNumbers",
        "roles",
        "groups",
        "meta",
        "schemas",
    ),
    ENTERPRISE: ("division", "department", "manager", "employeeNumber", "dateHire"),
    GENESYS: ("routingSkills", "routingLanguages", "externalIds"),
}
GROUP_ATTRS: dict[str, tuple[str, ...]] = {
    CORE_GROUP: ("id", "externalId", "displayName", "members", "meta", "schemas"),
}
MULTI = {
    "emails",
    "phoneNumbers",
    "roles",
    "groups",
    "members",
    "routingSkills",
    "routingLanguages",
    "externalIds",
}
READ_ONLY = {"id", "meta", "groups", "schemas"}
CASE_EXACT = {"id", "externalId", "externalIds", "groups", "members", "manager"}
FILTER_ALIASES = {"email": (CORE_USER, "emails")}  # the Genesys docs filter on `email eq …`
_IDENT = re.compile(r"[A-Za-z$][\w$-]*")


def _canon(name: str, names: Iterable[str]) -> str | None:
    low = name.lower()
    return next((n for n in names if n.lower() == low), None)


def split_urn(path: str, attrs: dict[str, tuple[str, ...]]) -> tuple[str | None, str]:
    """('urn', rest) for a path that starts with a known schema URN, (None, path) otherwise."""
    low = path.lower()
    if not low.startswith("urn:"):
        return None, path
    for urn in sorted(attrs, key=len, reverse=True):
        if low == urn.lower():
            return urn, ""
        if low.startswith(urn.lower() + ":"):
            return urn, path[len(urn) + 1 :]
    raise invalid_path(f"Unknown schema in {path!r}.")


def resolve(
    path: str, attrs: dict[str, tuple[str, ...]], *, aliases: bool = False
) -> tuple[str, str, str | None]:
    """`[urn:]attr[.sub]` -> (schema, canonical attr, sub or None); unknown -> invalidPath."""
    core = next(iter(attrs))
    urn, rest = split_urn(path.strip(), attrs)
    attr, _, sub = rest.partition(".")
    if not _IDENT.fullmatch(attr) or (sub and not _IDENT.fullmatch(sub)):
        raise invalid_path(f"{path!r} is not an attribute path.")
    if urn is not None:
        name = _canon(attr, attrs[urn])
        if name is None:
            raise invalid_path(f"{path!r} is not an attribute of {urn}.")
        return urn, name, sub or None
    name = _canon(attr, attrs[core])
    if name is not None:
        return core, name, sub or None
    if aliases and attr.lower() in FILTER_ALIASES:
        schema, name = FILTER_ALIASES[attr.lower()]
        return schema, name, sub or None
    for schema, names in attrs.items():  # extension attributes named without their URN
        name = _canon(attr, names)
        if name is not None:
            return schema, name, sub or None
    raise invalid_path(f"{path!r} is not a known attribute.")


# ---- filters --------------------------------------------------------------------------------
# AST: ("or", a, b) | ("and", a, b) | ("not", a) | ("eq", key, value) | ("pr", key) | ("vp", key, ast)
OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr")
_MAX_DEPTH = 32
MAX_TERMS = 200  # more comparisons than any IdP sends: a 3,000-term filter is refused, not evaluated
MAX_FILTER = 8192  # characters
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()[]":
            out.append(("punct", c))
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise invalid_filter(f"Unterminated string at position {i} of the filter.")
            try:
                out.append(("str", json.loads(text[i : j + 1])))
            except ValueError:
                raise invalid_filter(f"Invalid string literal at position {i} of the filter.") from None
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()[]"':
                j += 1
            out.append(("word", text[i:j]))
            i = j
    return out


class _Parser:
    def __init__(self, text: str, resolver: Callable[[str], Any]) -> None:
        if len(text) > MAX_FILTER:
            raise invalid_filter(f"The filter is longer than {MAX_FILTER} characters.")
        self.terms = 0
        self.toks = _tokens(text)
        self.pos = 0
        self.resolver = resolver
        self.depth = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None:
            raise invalid_filter("The filter ends too early.")
        self.pos += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "word" and tok[1].lower() == word:
            self.pos += 1
            return True
        return False

    def expect(self, punct: str) -> None:
        tok = self.take()
        if tok != ("punct", punct):
            raise invalid_filter(f"Expected {punct!r} in the filter, found {tok[1]!r}.")

    def parse(self) -> tuple:
        if not self.toks:
            raise invalid_filter("The filter is empty.")
        node = self.expr()
        if self.peek() is not None:
            raise invalid_filter(f"Unexpected {self.peek()[1]!r} in the filter.")  # type: ignore[index]
        return node

    def expr(self) -> tuple:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise invalid_filter("The filter is nested too deeply.")
        node = self.term()
        while self.keyword("or"):
            node = ("or", node, self.term())
        self.depth -= 1
        return node

    def term(self) -> tuple:
        node = self.factor()
        while self.keyword("and"):
            node = ("and", node, self.factor())
        return node

    def factor(self) -> tuple:
        if self.keyword("not"):
            self.expect("(")
            inner = self.expr()
            self.expect(")")
            return ("not", inner)
        tok = self.take()
        if tok == ("punct", "("):
            inner = self.expr()
            self.expect(")")
            return inner
        if tok[0] != "word":
            raise invalid_filter(f"Expected an attribute in the filter, found {tok[1]!r}.")
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise invalid_filter(f"The filter has more than {MAX_TERMS} comparisons.")
        try:
            key = self.resolver(tok[1])
        except ScimError as err:
            raise invalid_filter(err.message) from None
        nxt = self.peek()
        if nxt == ("punct", "["):
            self.pos += 1
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise invalid_filter("The filter is nested too deeply.")
            outer, self.resolver = self.resolver, element_key
            inner = self.expr()
            self.resolver = outer
            self.depth -= 1
            self.expect("]")
            return ("vp", key, inner)
        op_tok = self.take()
        op = str(op_tok[1]).lower() if op_tok[0] == "word" else ""
        if op not in OPERATORS:
            raise invalid_filter(f"Expected an operator after {tok[1]!r}, found {op_tok[1]!r}.")
        if op == "pr":
            return ("pr", key)
        if op != "eq":
            raise invalid_filter(f"The operator {op!r} is not supported; use eq, and, or.")
        return ("eq", key, self.value())

    def value(self) -> Any:
        kind, raw = self.take()
        if kind == "str":
            return raw
        if kind != "word":
            raise invalid_filter(f"Expected a value in the filter, found {raw!r}.")
        low = raw.lower()
        if low in ("true", "false"):
            return low == "true"
        if low == "null":
            return None
        if _NUMBER.fullmatch(raw):
            return float(raw) if any(c in raw for c in ".eE") else int(raw)
        if low in ("and", "or", "not"):
            raise invalid_filter(f"Expected a value in the filter, found {raw!r}.")
        return raw  # a bare word: the Genesys docs show unquoted values


def element_key(path: str) -> tuple[str, str, str | None]:
    """Inside `attr[...]` the names are sub-attributes of the elements."""
    if not _IDENT.fullmatch(path):
        raise invalid_filter(f"{path!r} is not a sub-attribute name.")
    return ("", path, None)


def parse_filter(text: str, resolver: Callable[[str], Any]) -> tuple:
    return _Parser(text, resolver).parse()


def mentions(node: tuple, attr: str) -> bool:
    kind = node[0]
    if kind in ("or", "and"):
        return mentions(node[1], attr) or mentions(node[2], attr)
    if kind == "not":
        return mentions(node[1], attr)
    return node[1][1] == attr


Getter = Callable[[tuple], tuple[list[Any], bool]]


def _get_ci(d: dict, key: str) -> Any:
    if key in d:
        return d[key]
    low = key.lower()
    return next((v for k, v in d.items() if k.lower() == low), None)


def _scalars(elements: list[Any], sub: str | None) -> list[Any]:
    if sub:
        return [_get_ci(e, sub) for e in elements if isinstance(e, dict)]
    out = []
    for e in elements:
        if isinstance(e, dict):
            out.append(e["value"] if "value" in e else e.get("name"))
        else:
            out.append(e)
    return out


def _equal(have: Any, want: Any, exact: bool) -> bool:
    if isinstance(have, bool) and isinstance(want, str) and want.lower() in ("true", "false"):
        want = want.lower() == "true"
    if isinstance(want, bool) or isinstance(have, bool):
        return have is want
    if isinstance(want, str) and isinstance(have, str):
        return have == want if exact else have.lower() == want.lower()
    if isinstance(want, int | float) and isinstance(have, int | float):
        return have == want
    return False


def evaluate(node: tuple, get: Getter) -> bool:
    kind = node[0]
    if kind == "or":
        return evaluate(node[1], get) or evaluate(node[2], get)
    if kind == "and":
        return evaluate(node[1], get) and evaluate(node[2], get)
    if kind == "not":
        return not evaluate(node[1], get)
    elements, exact = get(node[1])
    if kind == "vp":
        return any(isinstance(e, dict) and evaluate(node[2], _element_getter(e)) for e in elements)
    values = [v for v in _scalars(elements, node[1][2]) if v not in (None, "")]
    if kind == "pr":
        return bool(values)
    want = node[2]
    if want is None:
        return not values
    return any(_equal(v, want, exact) for v in values)


def _element_getter(element: dict) -> Getter:
    def get(key: tuple) -> tuple[list[Any], bool]:
        value = _get_ci(element, key[1])
        return ([] if value is None else [value]), key[1].lower() in ("value", "authority", "$ref")

    return get


def _eq_pairs(node: tuple) -> dict[str, Any] | None:
    """The sub-attribute values an `a eq x and b eq y` filter pins, to create a missing element."""
    if node[0] == "eq" and isinstance(node[2], str | bool | int | float):
        return {node[1][1]: node[2]}
    if node[0] == "and":
        left, right = _eq_pairs(node[1]), _eq_pairs(node[2])
        if left is not None and right is not None:
            return left | right
    return None


# ---- users: reading the record ----------------------------------------------------------------
def scim_of(u: dict) -> dict:
    return u.get("scim") or {}


def base_urls(base: str) -> dict[str, str]:
    return {"users": f"{base}/users", "groups": f"{base}/groups"}


def role_names(org: Org, user_id: str) -> list[str]:
    names = {org.roles[r]["name"] for (r, _d) in org.grants.get(user_id, {}) if r in org.roles}
    return sorted(names, key=str.lower)


def _emails(u: dict) -> list[dict]:
    out = [{"value": u["email"], "type": "other", "primary": True}]
    work = scim_of(u).get("workEmail")
    if work:
        out.append({"value": work, "type": "work", "primary": False})
    return out


def user_values(org: Org, u: dict, key: tuple) -> tuple[list[Any], bool]:
    """What a filter sees of one user: elements (scalars or dicts) and whether matching is exact."""
    schema, attr, _sub = key
    s = scim_of(u)
    exact = attr in CASE_EXACT
    if schema == CORE_USER:
        table: dict[str, Callable[[], list[Any]]] = {
            "id": lambda: [u["id"]],
            "externalId": lambda: [s["externalId"]] if s.get("externalId") else [],
            "userName": lambda: [u["email"]],
            "displayName": lambda: [u["name"]],
            "title": lambda: [u.get("title") or ""],
            "active": lambda: [u["state"] == "active"],
            "emails": lambda: _emails(u),
            "phoneNumbers": lambda: list(s.get("phoneNumbers") or []),
            "roles": lambda: [{"value": n} for n in role_names(org, u["id"])],
            "groups": lambda: [
                {"value": g, "display": org.groups[g]["name"]}
                for g in sorted(org.user_groups(u["id"]))
                if g in org.groups
            ],
        }
    elif schema == ENTERPRISE:
        div = org.divisions.get(u["divisionId"])
        table = {
            "division": lambda: [div["name"]] if div else [],
            "department": lambda: [u.get("department") or ""],
            "manager": lambda: [{"value": u["managerId"]}] if u.get("managerId") else [],
            "employeeNumber": lambda: [s.get("employeeNumber") or ""],
            "dateHire": lambda: [s.get("dateHire") or ""],
        }
    else:
        table = {
            "routingSkills": lambda: list(s.get("routingSkills") or []),
            "routingLanguages": lambda: list(s.get("routingLanguages") or []),
            "externalIds": lambda: _external_ids(u),
        }
    fn = table.get(attr)
    if fn is None:
        raise invalid_filter(f"The attribute {attr!r} cannot be filtered on.")
    return fn(), exact


def user_filter_key(path: str) -> tuple[str, str, str | None]:
    key = resolve(path, USER_ATTRS, aliases=True)
    if key[1] in ("meta", "password", "schemas"):
        raise invalid_filter(f"The attribute {path!r} cannot be filtered on.")
    return key


def _external_ids(u: dict) -> list[dict]:
    s = scim_of(u)
    out = []
    if s.get("externalId"):
        out.append({"authority": SCIM_AUTHORITY, "value": s["externalId"]})
    out.extend(dict(x) for x in s.get("externalIds") or [])
    return out


def render_user(org: Org, u: dict, base: str) -> dict:
    """The ScimV2User JSON of an emulator user; `base` is the absolute SCIM root URL."""
    urls = base_urls(base)
    s = scim_of(u)
    out: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE, GENESYS],
        "id": u["id"],
        "active": u["state"] == "active",
        "userName": u["email"],
        "displayName": u["name"],
    }
    if u.get("title"):
        out["title"] = u["title"]
    out["phoneNumbers"] = [dict(p) for p in s.get("phoneNumbers") or []]
    out["emails"] = _emails(u)
    if s.get("externalId"):
        out["externalId"] = s["externalId"]
    out["groups"] = [
        {"type": "Group", "value": g, "$ref": f"{urls['groups']}/{g}"}
        for g in sorted(org.user_groups(u["id"]))
        if g in org.groups
    ]
    out["roles"] = [{"value": n} for n in role_names(org, u["id"])]
    div = org.divisions.get(u["divisionId"])
    enterprise: dict[str, Any] = {"division": div["name"] if div else ""}
    if u.get("department"):
        enterprise["department"] = u["department"]
    if u.get("managerId"):
        enterprise["manager"] = {"value": u["managerId"], "$ref": f"{urls['users']}/{u['managerId']}"}
    if s.get("employeeNumber"):
        enterprise["employeeNumber"] = s["employeeNumber"]
    if s.get("dateHire"):
        enterprise["dateHire"] = s["dateHire"]
    out[ENTERPRISE] = enterprise
    out[GENESYS] = {
        "routingSkills": [dict(x) for x in s.get("routingSkills") or []],
        "routingLanguages": [dict(x) for x in s.get("routingLanguages") or []],
        "externalIds": _external_ids(u),
    }
    out["meta"] = {
        "resourceType": "User",
        "lastModified": u.get("dateModified") or u.get("dateCreated") or now_iso(),
        "location": f"{urls['users']}/{u['id']}",
        "version": etag(u["version"]),
    }
    return out


# ---- users: reading a request body ------------------------------------------------------------
def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid_value(f"{field} must be a boolean.")


def _str(value: Any, field: str, *, required: bool = False) -> str:
    if value is None:
        if required:
            raise invalid_value(f"{field} is required.")
        return ""
    if not isinstance(value, str):
        raise invalid_value(f"{field} must be a string.")
    value = value.strip()
    if required and not value:
        raise invalid_value(f"{field} is required.")
    return value


def _list(value: Any, field: str) -> list:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise invalid_value(f"{field} must be an array.")
    return value


def _dict(value: Any, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_syntax(f"{field} must be a JSON object.")
    return value


def _email(value: Any, field: str) -> str:
    email = _str(value, field, required=True)
    if not EMAIL.match(email):
        raise invalid_value(f"{field} must be an email address, got {email!r}.")
    return email


def _phones(items: Any) -> list[dict]:
    out: list[dict] = []
    seen: set[str] = set()
    for i, p in enumerate(_list(items, "phoneNumbers")):
        if not isinstance(p, dict):
            raise invalid_value(f"phoneNumbers[{i}] must be an object.")
        value = _str(_get_ci(p, "value"), f"phoneNumbers[{i}].value")
        if not value:
            continue  # a removed value leaves an empty element behind
        kind = _str(_get_ci(p, "type"), f"phoneNumbers[{i}].type") or "work"
        if kind not in PHONE_TYPES:
            raise invalid_value(f"phoneNumbers[{i}].type must be one of {', '.join(PHONE_TYPES)}.")
        if kind in seen:
            raise invalid_value(f"phoneNumbers holds two numbers of type {kind!r}.")
        seen.add(kind)
        primary = _get_ci(p, "primary")
        out.append({"value": value, "type": kind, "primary": _bool(primary, "primary") if primary else False})
    return out


def _work_email(items: Any) -> str:
    work = ""
    for i, e in enumerate(_list(items, "emails")):
        if not isinstance(e, dict):
            raise invalid_value(f"emails[{i}] must be an object.")
        kind = _str(_get_ci(e, "type"), f"emails[{i}].type") or "other"
        if kind not in EMAIL_TYPES:
            raise invalid_value(f"emails[{i}].type must be one of {', '.join(EMAIL_TYPES)}.")
        value = _get_ci(e, "value")
        if kind == "work" and value not in (None, ""):
            if work:
                raise invalid_value("emails holds two work addresses.")
            work = _email(value, f"emails[{i}].value")
        # type "other" mirrors userName and is read-only: ignored on input
    return work


def _proficiencies(items: Any, field: str) -> list[dict]:
    rows = _list(items, field)
    if len(rows) > MAX_ROUTING:
        raise invalid_value(f"{field} holds {len(rows)} entries; at most {MAX_ROUTING} are allowed.")
    out, seen = [], set()
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise invalid_value(f"{field}[{i}] must be an object with name and proficiency.")
        name = _str(_get_ci(r, "name"), f"{field}[{i}].name", required=True)
        if name in seen:
            raise invalid_value(f"{field} names {name!r} twice.")
        seen.add(name)
        prof = _get_ci(r, "proficiency")
        if prof is None:
            prof = 0.0
        if isinstance(prof, bool) or not isinstance(prof, int | float) or not 0 <= prof <= 5:
            raise invalid_value(f"{field}[{i}].proficiency must be a number from 0 to 5.")
        out.append({"name": name, "proficiency": float(prof)})
    return out


def _other_external_ids(items: Any) -> list[dict]:
    out = []
    for i, x in enumerate(_list(items, "externalIds")):
        if not isinstance(x, dict):
            raise invalid_value(f"externalIds[{i}] must be an object with authority and value.")
        authority = _str(_get_ci(x, "authority"), f"externalIds[{i}].authority", required=True)
        value = _str(_get_ci(x, "value"), f"externalIds[{i}].value", required=True)
        if authority.startswith(SCIM_AUTHORITY):
            continue  # the SCIM externalId's own entry is immutable here: set externalId instead
        out.append({"authority": authority, "value": value})
    return out


_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(T.*)?$")


def read_user(org: Org, doc: Any, current: dict | None = None) -> dict:
    """Validate a ScimV2User body into the changes it asks for. Keys absent mean "unchanged".

    `current` is None on create. Nothing is written here: callers check permissions on the result
    first, then apply it, so a rejected request changes nothing."""
    if not isinstance(doc, dict):
        raise invalid_syntax("The request body must be a JSON object.")
    if "schemas" in doc and not (
        isinstance(doc["schemas"], list) and all(isinstance(s, str) for s in doc["schemas"])
    ):
        raise invalid_syntax("schemas must be an array of schema URNs.")
    body = {k: v for k, v in doc.items() if not k.lower().startswith("urn:")}
    exts = {k: v for k, v in doc.items() if k.lower().startswith("urn:")}
    raw_ent, raw_gen = _get_ci(exts, ENTERPRISE), _get_ci(exts, GENESYS)
    enterprise = None if raw_ent is None else _dict(raw_ent, ENTERPRISE)
    genesys = None if raw_gen is None else _dict(raw_gen, GENESYS)

    out: dict[str, Any] = {
        "email": _email(_get_ci(body, "userName"), "userName"),
        "name": _str(_get_ci(body, "displayName"), "displayName", required=True),
        "title": _str(_get_ci(body, "title"), "title"),
        "workEmail": _work_email(_get_ci(body, "emails")),
        "phoneNumbers": _phones(_get_ci(body, "phoneNumbers")),
        "externalId": _str(_get_ci(body, "externalId"), "externalId") or None,
    }
    active = _get_ci(body, "active")
    if active is not None:
        out["state"] = "active" if _bool(active, "active") else "inactive"
    elif current is None:
        out["state"] = "active"
    password = _get_ci(body, "password")
    if password is not None and (not isinstance(password, str) or not password):
        raise invalid_value("password must be a non-empty string.")
    out["password"] = password is not None
    roles = _get_ci(body, "roles")
    if roles is not None:
        names = []
        known = {r["name"].lower(): r["name"] for r in org.roles.values()}
        for i, r in enumerate(_list(roles, "roles")):
            value = _get_ci(r, "value") if isinstance(r, dict) else None
            if not isinstance(value, str) or not value.strip():
                raise invalid_value(f"roles[{i}] must be an object with a role name in value.")
            if value.strip().lower() not in known:
                raise invalid_value(f"roles[{i}]: there is no role named {value.strip()!r}.")
            names.append(known[value.strip().lower()])
        out["roles"] = names

    if enterprise is not None or current is None:
        ent = enterprise or {}
        division = _str(_get_ci(ent, "division"), "division")
        if division:
            d = division_by_name(org, division)
            if d is None or not org.settled(d["id"]):
                raise invalid_value(
                    f"The division {division!r} does not exist; "
                    f"{ENTERPRISE}:division takes the name of an existing division."
                )
            out["divisionId"] = d["id"]
        elif current is None:
            out["divisionId"] = org.home_division_id
        out["department"] = _str(_get_ci(ent, "department"), "department")
        out["employeeNumber"] = _str(_get_ci(ent, "employeeNumber"), "employeeNumber") or None
        hire = _str(_get_ci(ent, "dateHire"), "dateHire")
        if hire:
            m = _DATE.match(hire)
            if not m:
                raise invalid_value("dateHire must be a date, YYYY-MM-DD.")
            hire = m.group(1)
        out["dateHire"] = hire or None
        manager = _get_ci(ent, "manager")
        if isinstance(manager, dict):
            manager = _get_ci(manager, "value")
        manager = _str(manager, "manager.value") or None
        if manager is not None:
            m_user = org.users.get(manager)
            if m_user is None or m_user["state"] == "deleted":
                raise invalid_value(f"manager {manager} is not a user of this org.")
            if current is not None and manager == current["id"]:
                raise invalid_value("A user cannot be their own manager.")
        out["managerId"] = manager
    if genesys is not None or current is None:
        gen = genesys or {}
        out["routingSkills"] = _proficiencies(_get_ci(gen, "routingSkills"), "routingSkills")
        out["routingLanguages"] = _proficiencies(_get_ci(gen, "routingLanguages"), "routingLanguages")
        out["externalIds"] = _other_external_ids(_get_ci(gen, "externalIds"))
    return out


_SCIM_FIELDS = ("workEmail", "phoneNumbers", "externalId", "employeeNumber", "dateHire")
_ROUTING = ("routingSkills", "routingLanguages", "externalIds")


def changed(u: dict, want: dict) -> set[str]:
    """The names of the fields `want` would change on user `u`."""
    s = scim_of(u)
    have = {
        "email": u["email"],
        "name": u["name"],
        "title": u.get("title") or "",
        "state": u["state"],
        "department": u.get("department") or "",
        "divisionId": u["divisionId"],
        "managerId": u.get("managerId"),
        **{
            k: s.get(k) or (None if k in ("externalId", "employeeNumber", "dateHire") else "")
            for k in _SCIM_FIELDS
        },
        **{k: s.get(k) or [] for k in _ROUTING},
    }
    have["phoneNumbers"] = s.get("phoneNumbers") or []
    return {k for k, v in want.items() if k in have and have[k] != v}


def check_unique(org: Org, email: str, user_id: str | None) -> None:
    other = org.user_by_email(email)
    if other is not None and other["id"] != user_id:
        raise ScimError(409, f"A user with userName {email} already exists.", "uniqueness")


def store_scim_fields(u: dict, want: dict) -> None:
    s = dict(scim_of(u))
    for k in (*_SCIM_FIELDS, *_ROUTING):
        if k in want:
            if want[k] in (None, "", []):
                s.pop(k, None)
            else:
                s[k] = want[k]
    if s:
        u["scim"] = s
    else:
        u.pop("scim", None)
    if "managerId" in want:
        if want["managerId"]:
            u["managerId"] = want["managerId"]
        else:
            u.pop("managerId", None)


def move_division(org: Org, u: dict, division_id: str) -> None:
    old = u["divisionId"]
    if old == division_id:
        return
    u["divisionId"] = division_id
    org.record(u["id"], "user.division", fromDivisionId=old, toDivisionId=division_id)
    org.touch(authz=True)


# ---- PATCH ----------------------------------------------------------------------------------
def _patch_path(
    path: str, attrs: dict[str, tuple[str, ...]]
) -> tuple[str, str | None, tuple | None, str | None]:
    """`[urn:]attr[filter][.sub]` -> (schema, attr or None for a whole extension, filter, sub)."""
    path = path.strip()
    urn, rest = split_urn(path, attrs)
    if urn is not None and rest == "":
        if urn == next(iter(attrs)):
            raise invalid_path(f"{path!r} names a whole schema; name an attribute.")
        return urn, None, None, None
    flt = None
    if "[" in rest:
        start = rest.index("[")
        i, quoted = start + 1, False
        while i < len(rest):
            c = rest[i]
            if quoted and c == "\\":
                i += 2
                continue
            if c == '"':
                quoted = not quoted
            elif c == "]" and not quoted:
                break
            i += 1
        if i >= len(rest):
            raise invalid_path(f"{path!r} has an unclosed filter.")
        flt = parse_filter(rest[start + 1 : i], element_key)
        tail = rest[i + 1 :]
        if tail and not (tail.startswith(".") and _IDENT.fullmatch(tail[1:])):
            raise invalid_path(f"{path!r} is not an attribute path.")
        rest = rest[:start] + tail
    schema, attr, sub = resolve(f"{urn}:{rest}" if urn else rest, attrs)
    if flt is not None and attr not in MULTI:
        raise invalid_path(f"{attr} is single-valued; it takes no filter.")
    return schema, attr, flt, sub


def _same(a: Any, b: Any) -> bool:
    """One element of a multi-valued attribute, as `add` dedupes and `remove` with a value matches."""
    if isinstance(a, dict) and isinstance(b, dict):
        ka, kb = _get_ci(a, "value"), _get_ci(b, "value")
        if ka is not None or kb is not None:
            ta, tb = _get_ci(a, "type"), _get_ci(b, "type")
            return ka == kb and (ta is None or tb is None or ta == tb)
        return _get_ci(a, "name") == _get_ci(b, "name")
    return a == b


def _apply(doc: dict, op: str, path: str, value: Any, attrs: dict[str, tuple[str, ...]]) -> None:
    core = next(iter(attrs))
    schema, attr, flt, sub = _patch_path(path, attrs)
    if attr is None:  # a whole extension object
        if op == "remove":
            doc[schema] = {}
            return
        if not isinstance(value, dict):
            raise invalid_value(f"The value for {schema} must be an object.")
        if op == "replace":
            doc[schema] = {}
        for k, v in value.items():
            _apply(doc, op, f"{schema}:{k}", v, attrs)
        return
    if attr in READ_ONLY:
        raise mutability(f"{attr} is read-only.")
    if attr == "password" and op == "remove":
        raise mutability("password cannot be removed.")
    if schema == core:
        container = doc
    else:
        container = doc.get(schema)
        if not isinstance(container, dict):
            container = doc[schema] = {}
    multi = attr in MULTI
    if flt is not None:
        elements = container.get(attr) if isinstance(container.get(attr), list) else []
        hits = [e for e in elements if isinstance(e, dict) and evaluate(flt, _element_getter(e))]
        if op == "remove":
            if sub:
                for e in hits:
                    for k in [k for k in e if k.lower() == sub.lower()]:
                        del e[k]
            else:
                container[attr] = [e for e in elements if not any(e is h for h in hits)]
            return
        if not hits:
            pinned = _eq_pairs(flt)
            if pinned is None:
                raise ScimError(400, f"No element of {attr} matches the filter in {path!r}.", "noTarget")
            hits = [pinned]
            container[attr] = [*elements, pinned]
        for e in hits:
            if sub:
                e[sub] = value
            elif isinstance(value, dict):
                if op == "replace":
                    keep = {k: v for k, v in e.items() if k.lower() in ("type",)}
                    e.clear()
                    e.update(keep)
                e.update(value)
            else:
                raise invalid_value(f"The value for {path!r} must be an object.")
        return
    if sub:
        if multi:
            for e in container.get(attr) or []:
                if isinstance(e, dict):
                    if op == "remove":
                        e.pop(sub, None)
                    else:
                        e[sub] = value
            return
        target = container.get(attr)
        if not isinstance(target, dict):
            target = {} if target is None else {"value": target}
        if op == "remove":
            target.pop(sub, None)
        else:
            target[sub] = value
        container[attr] = target
        return
    if op == "remove":
        if multi and value is not None:
            gone = value if isinstance(value, list) else [value]
            container[attr] = [e for e in container.get(attr) or [] if not any(_same(e, g) for g in gone)]
        else:
            container.pop(attr, None)
        return
    if multi:
        items = value if isinstance(value, list) else [value]
        if op == "add":
            have = list(container.get(attr) or [])
            for item in items:
                if not any(_same(item, h) for h in have):
                    have.append(item)
            container[attr] = have
        else:
            container[attr] = list(items)
        return
    container[attr] = value


def apply_patch(doc: dict, body: Any, attrs: dict[str, tuple[str, ...]]) -> dict:
    """RFC 7644 §3.5.2 over a resource's JSON; returns the patched copy."""
    if not isinstance(body, dict):
        raise invalid_syntax("The request body must be a JSON object.")
    ops = _get_ci(body, "Operations")
    if not isinstance(ops, list) or not ops:
        raise invalid_syntax("Operations must be a non-empty array of operations.")
    doc = json.loads(json.dumps(doc))
    for i, raw in enumerate(ops):
        if not isinstance(raw, dict):
            raise invalid_syntax(f"Operations[{i}] must be an object.")
        op = _get_ci(raw, "op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid_syntax(f"Operations[{i}].op must be add, replace or remove.")
        op = op.lower()
        path = _get_ci(raw, "path")
        value = _get_ci(raw, "value")
        if path is not None and not isinstance(path, str):
            raise invalid_path(f"Operations[{i}].path must be a string.")
        if not path:
            if op == "remove":
                raise ScimError(400, f"Operations[{i}]: remove needs a path.", "noTarget")
            if not isinstance(value, dict):
                raise invalid_value(f"Operations[{i}]: without a path the value must be an object.")
            for k, v in value.items():
                if k.lower() == "schemas":
                    continue
                _apply(doc, op, k, v, attrs)
            continue
        if op != "remove" and "value" not in {k.lower() for k in raw}:
            raise invalid_value(f"Operations[{i}]: {op} needs a value.")
        _apply(doc, op, path, value, attrs)
    return doc


# ---- groups ---------------------------------------------------------------------------------
def render_group(org: Org, g: dict, base: str, visible: Callable[[dict], bool]) -> dict:
    urls = base_urls(base)
    out: dict[str, Any] = {"schemas": [CORE_GROUP], "id": g["id"], "displayName": g["name"]}
    ext = (g.get("scim") or {}).get("externalId")
    if ext:
        out["externalId"] = ext
    out["members"] = [
        {"type": "User", "value": uid, "$ref": f"{urls['users']}/{uid}"}
        for uid in org.group_members.get(g["id"], ())
        if uid in org.users and visible(org.users[uid])
    ]
    out["meta"] = {
        "resourceType": "Group",
        "lastModified": g.get("dateModified") or now_iso(),
        "location": f"{urls['groups']}/{g['id']}",
        "version": etag(g["version"]),
    }
    return out


def group_values(org: Org, g: dict, key: tuple) -> tuple[list[Any], bool]:
    attr = key[1]
    if attr == "id":
        return [g["id"]], True
    if attr == "displayName":
        return [g["name"]], False
    if attr == "externalId":
        ext = (g.get("scim") or {}).get("externalId")
        return ([ext] if ext else []), True
    if attr == "members":
        return [{"value": uid, "type": "User"} for uid in org.group_members.get(g["id"], ())], True
    raise invalid_filter(f"The attribute {attr!r} cannot be filtered on.")


def group_filter_key(path: str) -> tuple[str, str, str | None]:
    key = resolve(path, GROUP_ATTRS)
    if key[1] in ("meta", "schemas"):
        raise invalid_filter(f"The attribute {path!r} cannot be filtered on.")
    return key


def read_group(org: Org, g: dict, doc: Any, visible: Callable[[dict], bool]) -> tuple[str | None, list[str]]:
    """Validate a ScimV2Group body: (externalId, wanted member ids). Absent members means none."""
    if not isinstance(doc, dict):
        raise invalid_syntax("The request body must be a JSON object.")
    name = _get_ci(doc, "displayName")
    if name is not None and name != g["name"]:
        raise mutability(
            f"displayName is immutable here: group {g['id']} is {g['name']!r}; "
            "an IdP group maps to an existing group by its exact name."
        )
    external = _str(_get_ci(doc, "externalId"), "externalId") or None
    wanted: list[str] = []
    for i, m in enumerate(_list(_get_ci(doc, "members"), "members")):
        if not isinstance(m, dict):
            raise invalid_value(f"members[{i}] must be an object with the user id in value.")
        kind = _get_ci(m, "type")
        if kind not in (None, "User"):
            raise invalid_value(f"members[{i}]: only users can be members, not {kind!r}.")
        uid = _get_ci(m, "value")
        if not isinstance(uid, str) or not uid:
            raise invalid_value(f"members[{i}].value must be a user id.")
        u = org.users.get(uid)
        if u is None or u["state"] == "deleted" or not visible(u):
            raise invalid_value(f"members[{i}]: there is no user {uid}.")
        if uid not in wanted:
            wanted.append(uid)
    return external, wanted


def set_group(
    org: Org, g: dict, external: str | None, wanted: list[str], visible: Callable[[dict], bool]
) -> None:
    """Members the caller can see become exactly `wanted`; the others stay as they are."""
    gid = g["id"]
    have = list(org.group_members.get(gid, ()))
    add = [uid for uid in wanted if uid not in org.group_members.get(gid, ())]
    remove = [uid for uid in have if uid not in wanted and uid in org.users and visible(org.users[uid])]
    for uid in remove:
        org.set_group_member(gid, uid, False)
        org.record(uid, "group.member.remove", groupId=gid)
    for uid in add:
        org.set_group_member(gid, uid, True)
        org.record(uid, "group.member.add", groupId=gid)
    s = dict(g.get("scim") or {})
    old_external = s.get("externalId")
    if external:
        s["externalId"] = external
    else:
        s.pop("externalId", None)
    if s:
        g["scim"] = s
    else:
        g.pop("scim", None)
    if add or remove or external != old_external:
        g["version"] += 1
        g["dateModified"] = now_iso()
        org.touch(authz=bool(add or remove))


# ---- projection -----------------------------------------------------------------------------
ALWAYS_USER = ("schemas", "id", "userName", "active", "meta")
ALWAYS_GROUP = ("schemas", "id", "displayName", "meta")


def attribute_list(values: Iterable[str]) -> list[str]:
    return [a.strip() for v in values for a in v.split(",") if a.strip()]


def _projection_keys(names: list[str], resource: dict, attrs: dict[str, tuple[str, ...]]) -> list[tuple]:
    keys = []
    for name in names:
        try:
            urn, rest = split_urn(name, attrs)
        except ScimError:
            continue  # unknown attributes are ignored, as RFC 7644 §3.9 allows
        top = rest.split(".", 1)[0]
        if urn is not None and urn != next(iter(attrs)):
            sub = _canon(top, attrs[urn]) if top else None
            if top and sub is None:
                continue
            keys.append((urn, sub))
            continue
        found = _canon(top, resource)
        if found is not None:
            keys.append((found, None))
    return keys


def project(
    resource: dict,
    attributes: list[str],
    excluded: list[str],
    attrs: dict[str, tuple[str, ...]],
    always: tuple[str, ...],
) -> dict:
    if attributes:
        out = {k: resource[k] for k in always if k in resource}
        for top, sub in _projection_keys(attributes, resource, attrs):
            if top not in resource:
                continue
            if sub is None:
                out[top] = resource[top]
            elif sub in resource[top]:
                out.setdefault(top, {})[sub] = resource[top][sub]
        return {k: out[k] for k in resource if k in out}
    if excluded:
        out = dict(resource)
        for top, sub in _projection_keys(excluded, resource, attrs):
            if top in always or top not in out:
                continue
            if sub is None:
                del out[top]
            else:
                out[top] = {k: v for k, v in out[top].items() if k != sub}
        return out
    return resource


# ---- discovery ------------------------------------------------------------------------------
def list_response(resources: list[dict], total: int, start: int) -> dict:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def service_provider_config(base: str) -> dict:
    return {
        "schemas": [SPC],
        "documentationUri": DOCS,
        "patch": {"supported": True},
        "filter": {"supported": True, "maxResults": MAX_COUNT},
        "etag": {"supported": True},
        "sort": {"supported": False},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "changePassword": {"supported": True},
        "authenticationSchemes": [
            {
                "name": "OAuth Bearer Token",
                "description": "A bearer token from a Genesys Cloud OAuth client (client credentials).",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "documentationUri": "https://developer.genesys.cloud/authorization/platform-auth/",
                "type": "oauthbearertoken",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/serviceproviderconfig",
            "version": SPC_VERSION,
        },
    }


SPC_VERSION = etag(1)


def resource_types(base: str) -> list[dict]:
    return [
        {
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "description": "A Genesys Cloud user.",
            "endpoint": "/Users",
            "schema": CORE_USER,
            "schemaExtensions": [
                {"schema": ENTERPRISE, "required": False},
                {"schema": GENESYS, "required": False},
            ],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/resourcetypes/User"},
        },
        {
            "schemas": [RESOURCE_TYPE],
            "id": "Group",
            "name": "Group",
            "description": "A Genesys Cloud group (groups are not created or deleted through SCIM).",
            "endpoint": "/Groups",
            "schema": CORE_GROUP,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/resourcetypes/Group"},
        },
    ]


def _a(
    name: str,
    type_: str = "string",
    description: str = "",
    *,
    multi: bool = False,
    required: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    case_exact: bool = False,
    sub: list[dict] | None = None,
    canonical: Iterable[str] | None = None,
    refs: list[str] | None = None,
) -> dict:
    out: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "description": description,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub is not None:
        out["subAttributes"] = sub
    if canonical is not None:
        out["canonicalValues"] = list(canonical)
    if refs is not None:
        out["referenceTypes"] = refs
    return out


def _ref_attrs(kind: str, mut: str = "readWrite") -> list[dict]:
    return [
        _a("value", description=f"The id of the {kind}.", mutability=mut, case_exact=True),
        _a("$ref", "reference", f"The URI of the {kind}.", mutability=mut, refs=[kind]),
        _a("type", description="The resource type.", mutability=mut, canonical=[kind]),
    ]


def schemas(base: str) -> list[dict]:
    def meta(urn: str) -> dict:
        return {"resourceType": "Schema", "location": f"{base}/schemas/{urn}"}

    core_id = _a(
        "id", description="The id of the resource.", mutability="readOnly", returned="always", case_exact=True
    )
    external = _a(
        "externalId", description="The id of the resource at the provisioning client.", case_exact=True
    )
    proficiency = [
        _a("name", description="The case-sensitive name.", required=True, case_exact=True),
        _a("proficiency", "decimal", "A rating from 0.0 to 5.0."),
    ]
    return [
        {
            "id": CORE_USER,
            "name": "User",
            "description": "A Genesys Cloud user.",
            "attributes": [
                core_id,
                external,
                _a(
                    "userName",
                    description="The user's Genesys Cloud email address. Must be unique.",
                    required=True,
                    returned="always",
                    uniqueness="server",
                ),
                _a("displayName", description="The display name of the user.", required=True),
                _a("title", description="The user's title."),
                _a("active", "boolean", "Whether the user is active.", returned="always"),
                _a(
                    "password",
                    description="A new password; never returned.",
                    mutability="writeOnly",
                    returned="never",
                    case_exact=True,
                ),
                _a(
                    "emails",
                    "complex",
                    "Email addresses. The 'other' address mirrors userName and is read-only.",
                    multi=True,
                    sub=[
                        _a("value", description="The email address."),
                        _a("type", description="The kind of address.", canonical=EMAIL_TYPES),
                        _a("primary", "boolean", "Whether this is the primary address."),
                    ],
                ),
                _a(
                    "phoneNumbers",
                    "complex",
                    "Phone numbers in E.164 or tel URI form, one per type.",
                    multi=True,
                    sub=[
                        _a("value", description="The phone number."),
                        _a("type", description="The kind of number.", canonical=PHONE_TYPES),
                        _a("primary", "boolean", "Whether this is the primary number."),
                    ],
                ),
                _a(
                    "groups",
                    "complex",
                    "Groups the user is a member of; change them through the Group resource.",
                    multi=True,
                    mutability="readOnly",
                    sub=_ref_attrs("Group", "readOnly"),
                ),
                _a(
                    "roles",
                    "complex",
                    "Names of Genesys Cloud roles; a name carries no division.",
                    multi=True,
                    sub=[_a("value", description="The name of a role.")],
                ),
            ],
            "meta": meta(CORE_USER),
        },
        {
            "id": CORE_GROUP,
            "name": "Group",
            "description": "A Genesys Cloud group.",
            "attributes": [
                core_id,
                external,
                _a(
                    "displayName",
                    description="The name of the group.",
                    required=True,
                    mutability="immutable",
                    returned="always",
                    uniqueness="server",
                ),
                _a("members", "complex", "The users in the group.", multi=True, sub=_ref_attrs("User")),
            ],
            "meta": meta(CORE_GROUP),
        },
        {
            "id": ENTERPRISE,
            "name": "EnterpriseUser",
            "description": "Enterprise user.",
            "attributes": [
                _a("division", description="The name of the division the user belongs to."),
                _a("department", description="The user's department."),
                _a(
                    "manager",
                    "complex",
                    "The user's manager.",
                    sub=[
                        _a("value", description="The id of the manager.", case_exact=True),
                        _a("$ref", "reference", "The URI of the manager.", refs=["User"]),
                    ],
                ),
                _a("employeeNumber", description="The user's employee number."),
                _a("dateHire", description="The user's hire date, YYYY-MM-DD."),
            ],
            "meta": meta(ENTERPRISE),
        },
        {
            "id": GENESYS,
            "name": "GenesysUser",
            "description": "Genesys Cloud user extension.",
            "attributes": [
                _a(
                    "routingSkills",
                    "complex",
                    f"Routing skills, at most {MAX_ROUTING}.",
                    multi=True,
                    sub=proficiency,
                ),
                _a(
                    "routingLanguages",
                    "complex",
                    f"Routing languages, at most {MAX_ROUTING}.",
                    multi=True,
                    sub=proficiency,
                ),
                _a(
                    "externalIds",
                    "complex",
                    f"External identifiers; the one of authority {SCIM_AUTHORITY} mirrors externalId.",
                    multi=True,
                    sub=[
                        _a("authority", description="The source of the identifier.", case_exact=True),
                        _a("value", description="The identifier.", case_exact=True),
                    ],
                ),
            ],
            "meta": meta(GENESYS),
        },
    ]
