"""Canary secrets planted in the environment never reach a log line, whatever logs them: syncs
that fail with a 401 (Jira Cloud and Azure DevOps), a Slack delivery refused for a bad token,
every library logging at DEBUG."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest

from lpmsync import logs
from lpmsync.cli.common import register_configured_secrets
from lpmsync.cli.run_cmd import build_job_context
from lpmsync.domain.model import Level, WorkItem
from lpmsync.domain.sync import SyncPage
from lpmsync.services.clock import utc_now
from lpmsync.services.jobs import run_cycle
from lpmsync.settings import load_settings
from lpmsync.store import open_store
from tests.e2e.test_run_helpers import sandbox, write_config

ADO_CANARY = "canary-ado-pat-9f3b2c71"
JIRA_CANARY = "canary-jira-token-4d8e"
SLACK_CANARY = "xoxb-canary-slack-5e6f"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    logs.configure_logging("json", "DEBUG", stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def unaligned_item() -> WorkItem:
    now = utc_now()
    return WorkItem(
        source="ado",
        key="1",
        id="1",
        level=Level.EPIC,
        title="An epic serving no theme",
        url="https://dev.azure.com/contoso/_workitems/edit/1",
        status="Active",
        state="Implementing",
        created=now - timedelta(days=30),
        updated=now - timedelta(days=1),
        entered_state_at=now - timedelta(days=20),
    )


def test_no_canary_reaches_a_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured: io.StringIO
) -> None:
    # Names that do not look secret: only the configuration says they are.
    monkeypatch.setenv("ACME_ADO_CREDENTIAL", ADO_CANARY)
    monkeypatch.setenv("ACME_JIRA_CREDENTIAL", JIRA_CANARY)
    monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
    monkeypatch.setenv("ACME_CHAT_CREDENTIAL", SLACK_CANARY)
    with sandbox() as box:
        config = write_config(
            tmp_path,
            box,
            pat_env="ACME_ADO_CREDENTIAL",
            jira_token_env="ACME_JIRA_CREDENTIAL",
            slack_token_env="ACME_CHAT_CREDENTIAL",
        )
        settings = load_settings(config)
        register_configured_secrets(settings)
        store = open_store(settings.store.effective_url)
        store.items.apply_page("ado", SyncPage(items=(unaligned_item(),)), utc_now())
        with ExitStack() as resources:
            resources.callback(store.close)
            result = run_cycle(build_job_context(settings, store, resources))
        canaries = (ADO_CANARY, JIRA_CANARY, SLACK_CANARY)
        logging.getLogger("lpmsync.test").warning("planted %s, %s and %s", *canaries)
    lines = captured.getvalue().splitlines()
    assert result.failed_steps == ("sync", "send")
    assert any("sync of ado failed" in line for line in lines)
    assert any("sync of jira failed" in line for line in lines)
    assert any("invalid_auth" in line for line in lines)
    assert any(line.startswith('{"') and '"logger": "urllib3' in line for line in lines)
    leaks = [line for line in lines if any(canary in line for canary in canaries)]
    assert leaks == []
    assert sum("[REDACTED]" in line for line in lines) >= 1
