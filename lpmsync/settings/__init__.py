"""Settings: one YAML file, `LPMSYNC_*` env overrides (`__` for nesting), secrets from env."""

from lpmsync.settings.base import read_secret
from lpmsync.settings.loader import config_path, load_settings
from lpmsync.settings.model import Settings
from lpmsync.settings.policy import to_policy
from lpmsync.settings.sources import AzureDevOpsSource, JiraSource, SourceConfig

__all__ = [
    "AzureDevOpsSource",
    "JiraSource",
    "Settings",
    "SourceConfig",
    "config_path",
    "load_settings",
    "read_secret",
    "to_policy",
]
