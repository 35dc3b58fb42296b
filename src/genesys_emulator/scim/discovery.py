"""ServiceProviderConfig, ResourceTypes, Schemas and the ListResponse envelope."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .etag import etag
from .urns import (
    CORE_GROUP,
    CORE_USER,
    DOCS,
    EMAIL_TYPES,
    ENTERPRISE,
    GENESYS,
    LIST_RESPONSE,
    MAX_COUNT,
    MAX_ROUTING,
    PHONE_TYPES,
    RESOURCE_TYPE,
    SCIM_AUTHORITY,
    SPC,
)


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
