"""Configuration: pydantic models, the TOML + environment loader and `--validate-config`."""

from vssd.config.errors import ConfigError, Issue
from vssd.config.loader import DEFAULT_CONFIG_PATH, load_config
from vssd.config.models import Config, SlotType
from vssd.config.policy import admin_password

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Config",
    "ConfigError",
    "Issue",
    "SlotType",
    "admin_password",
    "load_config",
    "validate_config_main",
]


def __getattr__(name: str) -> object:
    # Lazy, so `python -m vssd.config.cli` does not find its module imported twice.
    if name == "validate_config_main":
        from vssd.config.cli import validate_config_main

        return validate_config_main
    raise AttributeError(name)
