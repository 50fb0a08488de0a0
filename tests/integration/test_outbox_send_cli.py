"""`lpmsync send` against the sandbox Slack: one drain per invocation, as a CronJob runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lpmsync.cli import app, common
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.knobs import Knobs
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from lpmsync.sandbox.slack_records import SlackChannel
from lpmsync.services import jobs_locks
from lpmsync.store import open_store
from tests.integration.test_outbox_drain import post

TOKEN_ENV = "LPMSYNC_TEST_SLACK_TOKEN"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables at a known width, whatever terminal (or none) the tests run in."""
    monkeypatch.setattr(common.console, "width", 200)


@pytest.fixture
def slack() -> Iterator[tuple[SlackWorkspace, SandboxServer]]:
    workspace = SlackWorkspace(
        channels=[SlackChannel("C0PORTFOLIO", "portfolio"), SlackChannel("C0FLOW", "flow", False)]
    )
    with SandboxServer(workspace.router) as server:
        yield workspace, server


@pytest.fixture
def config(tmp_path: Path, slack: tuple[SlackWorkspace, SandboxServer]) -> Path:
    path = tmp_path / "lpmsync.yaml"
    path.write_text(
        "portfolio: {name: Acme}\n"
        f"store: {{data_dir: {tmp_path / 'data'}}}\n"
        "notify:\n"
        "  slack:\n"
        f"    token_env: {TOKEN_ENV}\n"
        f"    base_url: {slack_base_url(slack[1].url)}\n"
        "    default_channel: C0PORTFOLIO\n"
        "    routes: [{match: {rule: wip-breach}, channel: C0FLOW}]\n"
    )
    return path


def enqueue(config: Path, *keys: str, channel: str = "C0PORTFOLIO") -> None:
    store = open_store(f"sqlite:///{config.parent / 'data' / 'lpmsync.db'}")
    store.outbox.enqueue([post(key, channel=channel) for key in keys], datetime.now(UTC))
    store.close()


def send(config: Path, *args: str, token: str = SANDBOX_TOKEN) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["send", "--config", str(config), *args],
        env={TOKEN_ENV: token, "COLUMNS": "200"},
    )
    assert token not in result.output  # stdout and the logs on stderr
    return result.exit_code, result.stdout


def test_send_drains_the_outbox_once(
    config: Path, slack: tuple[SlackWorkspace, SandboxServer]
) -> None:
    enqueue(config, "a", "b", "c")
    assert send(config) == (0, "send: 3 sent, 0 to retry, 0 failed, 0 pending\n")
    assert send(config) == (0, "send: 0 sent, 0 to retry, 0 failed, 0 pending\n")
    assert [m.text for m in slack[0].messages()] == ["text of a", "text of b", "text of c"]


def test_send_limit(config: Path) -> None:
    enqueue(config, "a", "b", "c")
    assert send(config, "--limit", "2")[1].startswith(
        "send: 2 sent, 0 to retry, 0 failed, 1 pending"
    )


def test_a_refused_message_is_listed_and_the_exit_code_is_1(config: Path) -> None:
    enqueue(config, "ok")
    enqueue(config, "lost", channel="C0FLOW")
    code, output = send(config)
    assert code == 1
    assert "1 sent, 0 to retry, 1 failed" in output
    assert "recent failures" in output and "lost" in output and "not_in_channel" in output


def test_a_wrong_token_keeps_the_backlog_and_exits_1(config: Path) -> None:
    enqueue(config, "a", "b")
    code, output = send(config, token="xoxb-not-the-right-one")
    assert code == 1
    assert "0 sent, 1 to retry, 0 failed, 2 pending" in output
    assert "stopped: Slack rejected the bot token (invalid_auth)" in output


def test_check_reports_the_token_and_every_channel(
    config: Path, slack: tuple[SlackWorkspace, SandboxServer]
) -> None:
    code, output = send(config, "--check")
    assert code == 1
    assert "lpmsync sandbox" in output
    assert "C0PORTFOLIO" in output and "ok" in output
    assert "C0FLOW" in output and "not_in_channel" in output
    assert slack[0].events() == []  # nothing was posted


def test_a_missing_token_is_a_config_error(config: Path) -> None:
    result = CliRunner().invoke(app, ["send", "--config", str(config)], env={TOKEN_ENV: ""})
    assert result.exception is not None and TOKEN_ENV in str(result.exception)


def test_send_exits_1_while_messages_wait_for_a_retry_and_says_when(
    config: Path, slack: tuple[SlackWorkspace, SandboxServer]
) -> None:
    enqueue(config, "a", "b")
    slack[1].knobs = Knobs(fail_next=[503])  # an outage, then Slack is back
    code, output = send(config)
    assert code == 1 and "1 to retry" in output and "next attempt at" in output
    code, output = send(config)  # Slack works: "b" goes, but "a" waits out its backoff
    assert code == 1, output
    assert output.startswith("send: 1 sent, 0 to retry, 0 failed, 1 pending; 1 waiting")
    assert "next attempt at" in output
    assert [m.text for m in slack[0].messages()] == ["text of b"]


def test_a_second_send_waits_for_the_first_then_gives_up_with_a_clear_line(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_locks, "CLI_WAIT_SECONDS", 0.5)
    enqueue(config, "a")
    other = open_store(f"sqlite:///{config.parent / 'data' / 'lpmsync.db'}")
    try:
        with other.locks.job("send") as held:
            assert held
            result = CliRunner().invoke(
                app, ["send", "--config", str(config)], env={TOKEN_ENV: SANDBOX_TOKEN}
            )
    finally:
        other.close()
    assert isinstance(result.exception, jobs_locks.JobBusyError)  # exit 1 via run_guarded
    assert str(result.exception).startswith("another send is running (waited 0s for it)")
    assert send(config) == (0, "send: 1 sent, 0 to retry, 0 failed, 0 pending\n")
