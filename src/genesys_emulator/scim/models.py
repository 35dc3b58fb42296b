"""SCIM 2.0, Genesys flavour: a SCIM user *is* an emulator user, a SCIM group an emulator group.

This module gathers what the HTTP layer (responses.py) uses from the SCIM rules, which live in
urns, errors, etag, attributes, filter, users, patch, groups, projection and discovery.

State stays in the shared `Org`: SCIM-only user fields live in the user record's `scim` sub-dict
(externalId, work email, phone numbers, employee number, hire date, routing skills and languages,
external ids), and a group's SCIM externalId in the group record's `scim` sub-dict. Nothing SCIM
stores clashes with the keys the users and groups areas own.

Decisions where the platform's behaviour is not written down (the SDK's docstrings, RFC 7643/7644
and the Resource Center's field-mapping table are the sources):

- **Versions.** `meta.version` and the `ETag` header are the strong `"<version>"` of the user (or
  group) record, as the platform sends. `If-Match` accepts `W/"n"`, `"n"`, `n` or `*`. A stale
  `If-Match` answers **400 with scimType `invalidVers`**: that is what every SCIM method of the
  SDK documents ("If the ETag is different from the version on the server, returns 400 with a
  scimType of invalidVers"), and the SDK's ScimError knows no other scimType for it.
  `If-None-Match` with the current version on GET answers 304. `STALE_VERSION_STATUS` switches
  to RFC 7644's 412 in one place.
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
- **Groups** cannot be created or deleted through SCIM, and listing them needs a `filter` (the
  SDK marks it required). `displayName` is immutable (an IdP group
  maps to an existing Genesys group by name): a different one answers 400 mutability. Members
  are users only. Members the caller cannot see stay untouched by PUT and are not rendered.
- **password** is accepted and validated as a string, never stored and never rendered.
"""

from __future__ import annotations

from .attributes import GROUP_ATTRS, USER_ATTRS
from .discovery import SPC_VERSION, list_response, resource_types, schemas, service_provider_config
from .errors import ScimError, from_api_error, invalid_filter, invalid_syntax, invalid_value, not_found
from .etag import check_if_match, etag, not_modified
from .filter import evaluate, mentions, parse_filter
from .groups import group_filter_key, group_values, read_group, render_group, set_group
from .patch import apply_patch
from .projection import ALWAYS_GROUP, ALWAYS_USER, attribute_list, project
from .urns import CORE_USER, FREE_COUNT, MAX_COUNT, MEDIA_TYPE
from .users import (
    changed,
    check_unique,
    move_division,
    read_user,
    render_user,
    store_scim_fields,
    user_filter_key,
    user_values,
)

__all__ = [
    "ALWAYS_GROUP",
    "ALWAYS_USER",
    "CORE_USER",
    "FREE_COUNT",
    "GROUP_ATTRS",
    "MAX_COUNT",
    "MEDIA_TYPE",
    "SPC_VERSION",
    "USER_ATTRS",
    "ScimError",
    "apply_patch",
    "attribute_list",
    "changed",
    "check_if_match",
    "check_unique",
    "etag",
    "evaluate",
    "from_api_error",
    "group_filter_key",
    "group_values",
    "invalid_filter",
    "invalid_syntax",
    "invalid_value",
    "list_response",
    "mentions",
    "move_division",
    "not_found",
    "not_modified",
    "parse_filter",
    "project",
    "read_group",
    "read_user",
    "render_group",
    "render_user",
    "resource_types",
    "schemas",
    "service_provider_config",
    "set_group",
    "store_scim_fields",
    "user_filter_key",
    "user_values",
]
