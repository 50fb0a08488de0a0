"""The composition root: the one place that turns settings into concrete adapters."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from difflib import get_close_matches
from typing import TYPE_CHECKING

from lpmsync.errors import ConfigError
from lpmsync.settings import Settings, read_secret
from lpmsync.store import SqlStore, open_store

if TYPE_CHECKING:  # connectors and slack_sdk are imported by the commands that use them
    from lpmsync.connectors.base import Connector
    from lpmsync.notify.slack import SlackSender


def open_configured_store(settings: Settings, *, upgrade: bool = True) -> SqlStore:
    return open_store(settings.store.effective_url, upgrade=upgrade)


def build_connectors(
    settings: Settings,
    only: str | None = None,
    environ: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
) -> list[Connector]:
    """Connectors for every configured source, or for the one named `only`. With `stop`, a
    wait to retry a request ends as soon as a stop is requested."""
    sources = list(settings.sources)
    if only is not None:
        names = [source.name for source in sources]
        if only not in names:
            close = get_close_matches(only, names, n=1)
            hint = (
                f" (did you mean {close[0]!r}?)" if close else f"; configured: {', '.join(names)}"
            )
            raise ConfigError(f"no source named {only!r}{hint}", key="--source")
        sources = [source for source in sources if source.name == only]
    from lpmsync.connectors.registry import ConnectorContext, build_connector  # noqa: PLC0415
    from lpmsync.connectors.retry import stoppable_sleep  # noqa: PLC0415 (start-up of status)

    sleep = stoppable_sleep(stop) if stop is not None else None
    context = ConnectorContext(data_dir=settings.store.data_dir, environ=environ, sleep=sleep)
    return [build_connector(source, context) for source in sources]


def build_slack_sender(settings: Settings, environ: Mapping[str, str] | None = None) -> SlackSender:
    """The Slack sender for `notify.slack`; the bot token is read from its environment variable."""
    from lpmsync.notify.slack import SlackSender, slack_client  # noqa: PLC0415 (start-up time)

    slack = settings.notify.slack
    if slack is None:
        raise ConfigError("Slack is not configured", key="notify.slack")
    token = read_secret(slack.token_env, environ, key="notify.slack.token_env")
    client = slack_client(
        token.get_secret_value(),
        base_url=slack.base_url,
        timeout_seconds=max(1, round(slack.timeout_seconds)),
    )
    return SlackSender(client)
