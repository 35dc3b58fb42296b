"""The bridge with its store (and the journal) on the machine's real PostgreSQL: migrations,
a joiner and a move reach Genesys, and a new bridge process finds everything the IdP pushed."""

from __future__ import annotations

import psycopg

from genesys_emulator import RunningEmulator
from tenantry.bridge.app import make_app
from tenantry.bridge.server import in_thread
from tenantry.bridge.service import Bridge
from tenantry.config import tenants as config_mod
from tenantry.execution.journal import Journal

from .conftest import genesys_client
from .idp import EntraClient
from .org import access_history, tenant_access, wait_idle


def test_postgres_store_serves_reconciles_and_survives_a_restart(
    emu: RunningEmulator, bridge_config, pg_url: str
) -> None:
    cfg = config_mod.load(bridge_config)
    journal = Journal(pg_url)
    assert journal.is_postgres
    email = "pat.gres@bpo.example"
    with in_thread(make_app(Bridge(cfg, journal, genesys_client(emu), settle=0.5))) as serve:
        with EntraClient(serve.scim_url("entra")) as entra:
            uid = entra.provision(email, "Pat", "Gres")
            acme, globex = entra.group("ACME-Agents"), entra.group("GLOBEX-Agents")
            entra.add_members(acme, uid)
            wait_idle(serve)
            assert tenant_access(emu, email) == {"Acme Insurance"}
            entra.add_members(globex, uid)
            entra.remove_members(acme, uid)
            wait_idle(serve)
        assert serve.bridge.queue.failures == 0
    assert tenant_access(emu, email) == {"Globex Telecom"}
    assert all(len(a) <= 1 for a in access_history(emu, email))
    journal.close()
    with psycopg.connect(pg_url) as conn:
        tables = {r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")}
        version = conn.execute("select version_num from tenantry_bridge_alembic").fetchone()
        changes = conn.execute("select count(*) from bridge_requests where source = 'entra'").fetchone()
    assert {"bridge_users", "bridge_groups", "bridge_members", "bridge_requests"} <= tables
    assert version == ("0001",) and changes[0] >= 5
    again = Journal(pg_url)
    app = make_app(Bridge(cfg, again, genesys_client(emu), settle=0.5))
    with in_thread(app) as serve, EntraClient(serve.scim_url("entra")) as entra:
        assert [g["display"] for g in entra.get_user(uid)["groups"]] == ["GLOBEX-Agents"]
        assert entra.find("Users", "userName", email)[0]["id"] == uid
    again.close()
