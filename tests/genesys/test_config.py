"""Targets, regions and where credentials come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantry.genesys import REGION_DOMAINS, ConfigError, load_settings, resolve_target

GENESYS_MD_DOMAINS = {
    "mypurecloud.com", "mypurecloud.ie", "mypurecloud.de", "mypurecloud.jp", "mypurecloud.com.au",
    "usw2.pure.cloud", "cac1.pure.cloud", "euw2.pure.cloud", "aps1.pure.cloud", "apne2.pure.cloud",
    "sae1.pure.cloud", "mec1.pure.cloud", "apne3.pure.cloud", "euc2.pure.cloud", "mxc1.pure.cloud",
    "apse1.pure.cloud", "use2.us-gov-pure.cloud",
}  # fmt: skip


def test_every_documented_region_resolves_to_api_and_login_hosts() -> None:
    assert set(REGION_DOMAINS.values()) >= GENESYS_MD_DOMAINS
    for region, domain in REGION_DOMAINS.items():
        target = resolve_target(region)
        assert target.api_base == f"https://api.{domain}"
        assert target.login_base == f"https://login.{domain}"
    assert resolve_target("EU_WEST_1") == resolve_target("eu-west-1")


def test_domain_and_url_targets() -> None:
    assert resolve_target("mypurecloud.ie").token_url == "https://login.mypurecloud.ie/oauth/token"
    assert resolve_target("api.mypurecloud.de").api_base == "https://api.mypurecloud.de"
    api = resolve_target("https://api.usw2.pure.cloud/")
    assert (api.api_base, api.login_base) == ("https://api.usw2.pure.cloud", "https://login.usw2.pure.cloud")
    emu = resolve_target("http://127.0.0.1:8765")
    assert emu.api_base == emu.login_base == "http://127.0.0.1:8765"


@pytest.mark.parametrize("bad", ["mars-north-1", "ftp://x.example", "not a target"])
def test_unknown_targets_are_one_clear_sentence(bad: str) -> None:
    with pytest.raises(ConfigError) as exc:
        resolve_target(bad)
    assert bad in str(exc.value)


def test_environment_credentials_and_region() -> None:
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": "cid",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": "top-secret",
        "GENESYSCLOUD_REGION": "eu-central-1",
    }
    settings = load_settings(env=env)
    assert settings.target.api_base == "https://api.mypurecloud.de"
    assert settings.clients[0].client_id == "cid"
    assert settings.clients[0].client_secret.get_secret_value() == "top-secret"
    assert "top-secret" not in repr(settings)
    env["GENESYSCLOUD_API_REGION"] = "http://127.0.0.1:9"
    assert load_settings(env=env).target.api_base == "http://127.0.0.1:9"


def test_missing_credentials_name_the_variables(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in str(exc.value)
    with pytest.raises(ConfigError, match="GENESYSCLOUD_OAUTHCLIENT_SECRET is not set"):
        load_settings(env={"GENESYSCLOUD_OAUTHCLIENT_ID": "cid"})


def test_toml_profile_with_a_pool_and_secrets_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "genesys.toml"
    path.write_text(
        """
[profiles.prod]
region = "ap-southeast-2"
client_id = "a"
client_secret_env = "SECRET_A"
rate_limit = 600

[[profiles.prod.clients]]
client_id = "b"
client_secret = "inline-b"
"""
    )
    settings = load_settings("prod", path, env={"SECRET_A": "from-env"})
    assert [c.client_id for c in settings.clients] == ["a", "b"]
    assert settings.clients[0].client_secret.get_secret_value() == "from-env"
    assert settings.rate_limit == 600
    assert settings.target.api_base == "https://api.mypurecloud.com.au"
    with pytest.raises(ConfigError, match=r"\$SECRET_A"):
        load_settings("prod", path, env={})
    with pytest.raises(ConfigError, match="'staging' is not in"):
        load_settings("staging", path, env={})


def test_yaml_profile_and_target_override(tmp_path: Path) -> None:
    path = tmp_path / "genesys.yaml"
    path.write_text(
        "profiles:\n  default:\n    target: mypurecloud.jp\n    client_id: y\n    client_secret: z\n"
    )
    assert load_settings(None, path, env={}).target.api_base == "https://api.mypurecloud.jp"
    settings = load_settings("default", path, target="http://127.0.0.1:1", env={})
    assert settings.target.api_base == "http://127.0.0.1:1"


def test_unreadable_profile_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "genesys.toml"
    path.write_text("profiles = [")
    with pytest.raises(ConfigError, match="not valid"):
        load_settings("x", path, env={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings("x", tmp_path / "nope.toml", env={})


@pytest.mark.parametrize(
    ("value", "expected"), [("10", 10), ("1", 1), ("50", 50), ('"auto"', None), (None, None)]
)
def test_token_pool_size_from_a_profile(tmp_path: Path, value: str | None, expected: int | None) -> None:
    path = tmp_path / "genesys.toml"
    line = f"token_pool_size = {value}\n" if value is not None else ""
    path.write_text(f'[profiles.p]\nclient_id = "a"\nclient_secret = "s"\n{line}')
    settings = load_settings("p", path, env={})
    assert settings.token_pool_size == expected
    from tenantry.genesys import GenesysClient

    client = GenesysClient.from_settings(settings)
    assert len(client.pool.members) == (expected or 1)
    assert client.pool.max_size == (expected or 10)


@pytest.mark.parametrize("value", ["0", "51", "2.5", '"many"', "true"])
def test_a_bad_token_pool_size_is_one_clear_sentence(tmp_path: Path, value: str) -> None:
    path = tmp_path / "genesys.toml"
    path.write_text(f'[profiles.p]\nclient_id = "a"\nclient_secret = "s"\ntoken_pool_size = {value}\n')
    with pytest.raises(ConfigError, match=r"token_pool_size of profile 'p'.* from 1 to 50, or auto"):
        load_settings("p", path, env={})


def test_token_pool_size_from_the_environment() -> None:
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "a", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "s"}
    assert load_settings(None, env=env | {"GENESYSCLOUD_TOKEN_POOL_SIZE": "4"}).token_pool_size == 4
    assert load_settings(None, env=env).token_pool_size is None
    with pytest.raises(ConfigError, match="GENESYSCLOUD_TOKEN_POOL_SIZE"):
        load_settings(None, env=env | {"GENESYSCLOUD_TOKEN_POOL_SIZE": "99"})
