"""`lpmsync digest` as an operator runs it while a source is stale: it waits and says for what
and until when; `--force` sends now with the banner, and again rebuilds (edits) in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lpmsync.sandbox.slack import SANDBOX_TOKEN
from lpmsync.store import open_store
from tests.e2e.cli_helpers import run_cli
from tests.integration.notify_support import Slack, fresh, put_items, serve_slack, work_item
from tests.integration.notify_support import write_config as notify_config

ENV = {"SLACK_BOT_TOKEN": SANDBOX_TOKEN, "ADO_PAT": "pat-for-tests"}
SOURCE = """
sources:
  - {kind: azure_devops, name: boards, organization_url: 'https://dev.azure.com/contoso',
     project: Contoso, pat_env: ADO_PAT, states: {Active: Implementing}}
"""


@pytest.fixture(scope="module")
def running_slack() -> Iterator[Slack]:
    yield from serve_slack()


@pytest.fixture
def slack(running_slack: Slack) -> Slack:
    return fresh(running_slack)


@pytest.fixture
def config(tmp_path: Path, slack: Slack) -> Path:
    store_url = f"sqlite:///{tmp_path / 'lpmsync.db'}"
    store = open_store(store_url)
    put_items(store, [work_item(f"CX-{i}", labels=("cx",)) for i in range(3)])
    store.close()
    path = notify_config(tmp_path, slack.base_url, store_url)
    path.write_text(path.read_text(encoding="utf-8") + SOURCE, encoding="utf-8")
    return path


def test_a_stale_source_makes_the_digest_wait_then_force_sends_and_rebuilds(
    config: Path, slack: Slack
) -> None:
    waiting = run_cli("digest", "--config", str(config), env=ENV)
    assert waiting.returncode == 0, waiting.stderr
    assert "waits for fresh data from boards (never synced successfully)" in waiting.stdout
    assert "--force sends it now" in waiting.stdout
    assert slack.workspace.top_level() == []

    status = run_cli("status", "--format", "json", "--config", str(config), env=ENV)
    assert '"waiting"' in status.stdout

    forced = run_cli("digest", "--force", "--config", str(config), env=ENV)
    assert forced.returncode == 0, forced.stderr
    assert "rebuilt with a stale-data warning (boards)" in forced.stdout
    [posted] = slack.workspace.top_level()
    assert "Data may be out of date" in str(posted.blocks)

    again = run_cli("digest", "--force", "--config", str(config), env=ENV)
    assert again.returncode == 0, again.stderr
    [edited] = slack.workspace.top_level()  # edited in place, not posted twice
    assert edited.ts == posted.ts
    assert slack.calls("chat.update") == 1
