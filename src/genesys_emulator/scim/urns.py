"""SCIM URNs, media type and the limits the Genesys SCIM API applies."""

from __future__ import annotations

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
