"""Config loading: defaults, TOML, env overrides, secrets, refusals with key paths, validate CLI, schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vssd.config import Config, ConfigError, SlotType, admin_password, load_config
from vssd.config.cli import validate_config_main
from vssd.config.schema import config_schema

ROOT = Path(__file__).resolve().parents[2]
STRONG = "x" * 40


def write(tmp_path: Path, text: str) -> str:
    file = tmp_path / "vssd.toml"
    file.write_text(text, encoding="utf-8")
    return str(file)


def refused(path: str | None, env: dict[str, str]) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, env)
    return {i.path: i.render() for i in info.value.issues}


def test_missing_default_file_means_defaults(tmp_path):
    config = load_config(None, {"VSSD_STATE_DIR": str(tmp_path)})
    assert config.mode == "demo"
    assert [a.port for a in config.http.listen] == [3000, 8001, 8081, 8082, 8083]
    assert all(a.host == "127.0.0.1" for a in config.http.listen)
    assert config.slots.numbering.block(SlotType.MF).first == 7001
    assert config.slots.slot_type_of(8005) is SlotType.LS
    assert (config.rate_limits.auth_per_minute, config.rate_limits.api_per_minute) == (5, 100)
    assert config.rate_limits.dashboard_per_minute == 60
    assert config.state.dir == tmp_path
    assert config.database.url is None and config.amqp.url is None and config.redis.url is None
    assert admin_password(config) == "admin123"


def test_example_file_is_valid_and_states_the_defaults(tmp_path):
    env = {"VSSD_STATE_DIR": str(tmp_path)}
    example = load_config(str(ROOT / "config" / "vssd.toml"), env)
    assert example.model_dump() == load_config(None, env).model_dump()


def test_explicit_missing_file_is_an_error(tmp_path):
    issues = refused(str(tmp_path / "nope.toml"), {})
    assert "--config" in issues


def test_file_then_env_overrides(tmp_path):
    path = write(tmp_path, '[ami]\nport = 5038\nhost = "127.0.0.2"\n[slots]\nwrapup_s = 3\n')
    env = {
        "VSSD_AMI__PORT": "15038",
        "VSSD_SLOTS__NUMBERING__auto__FIRST": "6100",
        "VSSD_HTTP__LISTEN": '[{"host": "::1", "port": 3000}]',
        "VSSD_AMI_SECRET": "s3cret",
        "VSSD_DATABASE_URL": "postgresql://u:p@127.0.0.1/db",
        "VSSD_TEST_BLOCKING_S": "0.5",  # unrelated VSSD_ variables are ignored
    }
    config = load_config(path, env)
    assert config.ami.port == 15038 and config.ami.host == "127.0.0.2"
    assert config.slots.wrapup_s == 3
    assert config.slots.numbering.auto.first == 6100
    assert [(a.host, a.port) for a in config.http.listen] == [("::1", 3000)]
    assert config.ami.secret.get_secret_value() == "s3cret"
    assert "p@" not in repr(config.database)
    assert config.database.url.get_secret_value().endswith("/db")


def test_bad_type_and_extra_key_refused_with_paths(tmp_path):
    path = write(tmp_path, '[ami]\nport = "not-a-port"\ncolour = "blue"\n[bogus]\nx = 1\n')
    issues = refused(path, {})
    assert issues["ami.port"].startswith('ami.port = "not-a-port": ')
    assert "ami.colour" in issues and "Extra inputs" in issues["ami.colour"]
    assert "bogus" in issues


def test_env_typo_is_refused(tmp_path):
    issues = refused(None, {"VSSD_AMI__PROT": "1", "VSSD_STATE_DIR": str(tmp_path)})
    assert list(issues) == ["ami.prot"]


def test_short_ring_needs_explicit_override(tmp_path):
    issues = refused(write(tmp_path, "[slots]\nring_timeout_s = 10\n"), {})
    assert list(issues) == ["slots.ring_timeout_s"]
    assert "allow_short_ring" in issues["slots.ring_timeout_s"]
    config = load_config(
        write(tmp_path, "[slots]\nring_timeout_s = 10\nallow_short_ring = true\n"), {}
    )
    assert config.slots.ring_timeout_s == 10


def test_overlapping_numbering_refused(tmp_path):
    issues = refused(write(tmp_path, "[slots.numbering]\nMF = { first = 6500, last = 7100 }\n"), {})
    assert "slots.numbering" in issues


def test_secret_in_file_refused_and_never_echoed(tmp_path):
    issues = refused(write(tmp_path, '[ami]\nsecret = "hunter2"\n'), {})
    assert "ami.secret" in issues
    assert "hunter2" not in issues["ami.secret"] and "VSSD_AMI_SECRET" in issues["ami.secret"]


def test_secret_file(tmp_path):
    (tmp_path / "ami.secret").write_text("from-file\n")
    path = write(tmp_path, f'[ami]\nsecret_file = "{tmp_path / "ami.secret"}"\n')
    assert load_config(path, {}).ami.secret.get_secret_value() == "from-file"
    assert load_config(path, {"VSSD_AMI_SECRET": "env"}).ami.secret.get_secret_value() == "env"
    missing = write(tmp_path, f'[ami]\nsecret_file = "{tmp_path / "gone"}"\n')
    assert "ami.secret_file" in refused(missing, {})


SETTINGS_KEY = "x8Bk1mYj3gYpVw3c0Xo2sX0q9y4Jd6hX2b5Gm8Rq7Ts="


def test_production_refuses_default_or_missing_secrets(tmp_path):
    env = {"VSSD_MODE": "production", "VSSD_ADMIN_PASSWORD": "admin123", "VSSD_JWT_SECRET": "short"}
    issues = refused(None, env)
    assert set(issues) == {"auth.jwt_secret", "auth.admin_password", "ami.secret", "auth.settings_key"}
    assert issues["ami.secret"].startswith("ami.secret = <missing>: ")
    assert "admin123" not in issues["auth.admin_password"]


def test_production_with_real_secrets_and_public_bind(tmp_path):
    env = {
        "VSSD_MODE": "production", "VSSD_ADMIN_PASSWORD": "a-long-real-password",
        "VSSD_JWT_SECRET": STRONG, "VSSD_AMI_SECRET": "ami-pass", "VSSD_SETTINGS_KEY": SETTINGS_KEY,
        "VSSD_HTTP__LISTEN": '[{"host": "0.0.0.0", "port": 8083}]',
    }
    config = load_config(None, env)
    assert config.mode == "production" and config.http.listen[0].host == "0.0.0.0"
    assert admin_password(config) == "a-long-real-password"


def test_settings_key_must_be_a_fernet_key():
    assert "auth.settings_key" in refused(None, {"VSSD_SETTINGS_KEY": "not-a-key"})
    assert load_config(None, {"VSSD_SETTINGS_KEY": SETTINGS_KEY}).auth.settings_key.get_secret_value() == SETTINGS_KEY


def test_demo_refuses_public_bind():
    issues = refused(None, {"VSSD_HTTP__LISTEN": '[{"host": "0.0.0.0", "port": 3000}]'})
    assert list(issues) == ["http.listen.0.host"]


def test_validate_cli_lists_every_error(tmp_path, capsys):
    path = write(tmp_path, '[ami]\nport = 0\n[slots]\nring_timeout_s = 1\n')
    assert validate_config_main(["--config", path], env={}) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ami.port = 0: ")
    assert lines[1].startswith("slots.ring_timeout_s = 1: ")
    assert len(lines) == 2


def test_validate_cli_ok(tmp_path, capsys):
    assert validate_config_main(["--validate-config", "--config", write(tmp_path, "")], env={}) == 0
    assert capsys.readouterr().out == "config OK\n"


def test_committed_schema_is_current():
    committed = json.loads((ROOT / "config" / "schema.json").read_text(encoding="utf-8"))
    assert committed == config_schema(), "regenerate: python -m vssd.config.schema config/schema.json"


def test_every_section_forbids_extra_keys():
    def walk(model: type) -> None:
        assert model.model_config.get("extra") == "forbid", model
        for field in model.model_fields.values():
            for sub in getattr(field.annotation, "__args__", ()) + (field.annotation,):
                if isinstance(sub, type) and hasattr(sub, "model_fields"):
                    walk(sub)

    walk(Config)


def test_hub_id_is_a_short_slug_and_its_number_is_bounded(tmp_path):
    assert (load_config(None, {}).hub.id, load_config(None, {}).hub.number) == ("hub-1", None)
    config = load_config(write(tmp_path, '[hub]\nid = "kyiv-2"\nnumber = 7\n'), {})
    assert (config.hub.id, config.hub.number) == ("kyiv-2", 7)
    for bad in ("Kyiv 2", "-hub", "hub-", "", "h" * 33, "hub_1"):
        issues = refused(None, {"VSSD_HUB__ID": bad})
        assert list(issues) == ["hub.id"] and "short slug" in issues["hub.id"], bad
    assert list(refused(None, {"VSSD_HUB__NUMBER": "1024"})) == ["hub.number"]
    assert list(refused(None, {"VSSD_HUB__NUMBER": "-1"})) == ["hub.number"]
