"""Source kind -> connector factory. The only place that knows every connector.

Tracker packages import `ConnectorContext` from `context.py`, never this module, so the registry
sits above them (import-linter keeps it so) and a new tracker is one new folder plus a branch here.
"""

from __future__ import annotations

from lpmsync.connectors.base import Connector
from lpmsync.connectors.context import ConnectorContext
from lpmsync.settings import AzureDevOpsSource, JiraSource, SourceConfig

__all__ = ["ConnectorContext", "build_connector"]


def build_connector(config: SourceConfig, context: ConnectorContext) -> Connector:
    if isinstance(config, JiraSource):
        from lpmsync.connectors.jira.connector import JiraConnector  # noqa: PLC0415 (import cost on use)

        return JiraConnector.from_config(config, context)
    if isinstance(config, AzureDevOpsSource):
        from lpmsync.connectors.azure_devops.connector import AzureDevOpsConnector  # noqa: PLC0415

        return AzureDevOpsConnector.from_config(config, context)
    raise TypeError(f"no connector for source kind {type(config).__name__}")
