"""Source kind -> connector factory. The only place that knows every connector."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lpmsync.connectors.base import Connector
from lpmsync.settings import AzureDevOpsSource, JiraSource, SourceConfig


@dataclass(frozen=True)
class ConnectorContext:
    """What a connector may need besides its own config."""

    data_dir: Path
    environ: Mapping[str, str] | None = None  # None: os.environ
    sleep: Callable[[float], None] | None = None  # None: time.sleep (tests inject a fake)
    extra: Mapping[str, object] = field(default_factory=dict)


def build_connector(config: SourceConfig, context: ConnectorContext) -> Connector:
    if isinstance(config, JiraSource):
        from lpmsync.connectors.jira.connector import JiraConnector  # noqa: PLC0415 (import cost on use)

        return JiraConnector.from_config(config, context)
    if isinstance(config, AzureDevOpsSource):
        from lpmsync.connectors.azure_devops.connector import AzureDevOpsConnector  # noqa: PLC0415

        return AzureDevOpsConnector.from_config(config, context)
    raise TypeError(f"no connector for source kind {type(config).__name__}")
