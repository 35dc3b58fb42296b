"""The SCIM bridge: Entra ID, Okta (or any SCIM 2.0 client) push people; tenantry reconciles them.

One SCIM 2.0 service provider per source at /scim/v2/<source>/. The IdP's users and groups are kept
in the journal database; each change queues a reconcile of the people it touched, which runs after
a short settle window from each person's whole current state (see IDP-SCIM.md for the dialects).
"""
