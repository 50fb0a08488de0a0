"""`notify.slack.interactive`: who may act, the connection mode, and the secret each mode needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpmsync.errors import ConfigError
from lpmsync.settings import load_settings
from lpmsync.settings.interactive import ConnectionMode

BASE = """
portfolio: {name: Acme, timezone: Europe/Berlin}
notify:
  slack:
    default_channel: C0PORTFOLIO
    interactive:
"""


def load(tmp_path: Path, interactive: str, environ: dict[str, str]) -> object:
    path = tmp_path / "lpmsync.yaml"
    path.write_text(BASE + interactive, encoding="utf-8")
    return load_settings(path, {"SLACK_BOT_TOKEN": "xoxb-1", **environ})


def test_socket_mode_needs_the_app_token(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "      allowed: ['*']\n", {})
    assert caught.value.key == "notify.slack.app_token_env"
    assert "SLACK_APP_TOKEN" in str(caught.value)
    settings = load(tmp_path, "      allowed: ['*', U0PM, S0PMO]\n", {"SLACK_APP_TOKEN": "xapp-1"})
    interactive = settings.notify.slack.interactive  # type: ignore[attr-defined]
    assert interactive.mode is ConnectionMode.SOCKET and interactive.allowed == [
        "*",
        "U0PM",
        "S0PMO",
    ]


def test_http_mode_needs_the_signing_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "      mode: http\n", {"SLACK_APP_TOKEN": "xapp-1"})
    assert caught.value.key == "notify.slack.signing_secret_env"


def test_allowed_takes_slack_ids_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "      allowed: ['@ada']\n", {"SLACK_APP_TOKEN": "xapp-1"})
    assert "notify.slack.interactive.allowed" in str(caught.value)
    assert "not a Slack user id" in str(caught.value)
