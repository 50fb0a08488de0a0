"""The CLI as an operator meets it: version, config validate, db upgrade, exit codes."""

from __future__ import annotations

import socket
from importlib.metadata import version
from pathlib import Path

from lpmsync import __version__
from tests.e2e.cli_helpers import run_cli

EXAMPLE = Path(__file__).parents[2] / "config" / "lpmsync.example.yaml"
SECRETS = {
    "JIRA_EMAIL": "a@b.c",
    "JIRA_API_TOKEN": "canary-e2e-9931",
    "ADO_PAT": "canary-e2e-ado",
    "SLACK_BOT_TOKEN": "xoxb-canary-e2e",
    "SLACK_APP_TOKEN": "xapp-canary-app-5c2e",
}


def test_version_is_the_package_metadata_on_one_line() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"lpmsync {version('lpmsync')}\n"
    assert __version__ == version("lpmsync") != "0+unknown"


def test_validate_prints_a_summary() -> None:
    result = run_cli("config", "validate", str(EXAMPLE), env=SECRETS)
    assert result.returncode == 0, result.stderr
    assert "jira-cloud (jira cloud), ado (azure_devops)" in result.stdout
    assert "Funnel → Reviewing" in result.stdout


def test_bad_config_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        EXAMPLE.read_text().replace("  timezone: Europe/Berlin", "  timezone: Mars/Olympus")
    )
    result = run_cli("config", "validate", str(bad), env=SECRETS)
    assert result.returncode == 2
    assert f"{bad}:" in result.stderr and "portfolio.timezone" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_secret_exits_2_without_leaking_others() -> None:
    env = {k: v for k, v in SECRETS.items() if k != "ADO_PAT"}
    result = run_cli("config", "validate", str(EXAMPLE), env=env)
    assert result.returncode == 2 and "ADO_PAT is not set" in result.stderr
    assert not any(value in result.stderr + result.stdout for value in SECRETS.values())


def test_config_from_env_var_and_default_path(tmp_path: Path) -> None:
    result = run_cli("config", "validate", env={**SECRETS, "LPMSYNC_CONFIG": str(EXAMPLE)})
    assert result.returncode == 0, result.stderr
    missing = run_cli("config", "validate", cwd=tmp_path)
    assert missing.returncode == 2 and "config/lpmsync.yaml" in missing.stderr


def test_db_upgrade_creates_then_reports_up_to_date(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "portfolio: {name: Acme}\nstore: {data_dir: " + str(tmp_path / "data") + "}\n"
    )
    first = run_cli("db", "upgrade", "--config", str(config))
    assert first.returncode == 0 and "applied 0001" in first.stdout, first.stderr
    assert (tmp_path / "data" / "lpmsync.db").exists()
    second = run_cli("db", "upgrade", "--config", str(config))
    assert second.returncode == 0 and "up to date" in second.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2 and "No such command" in result.stderr


def test_a_command_that_exits_1_really_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "portfolio: {name: Acme}\n"
        f"store: {{data_dir: {tmp_path / 'data'}}}\n"
        "sources:\n"
        "  - {kind: jira, name: j, url: 'http://127.0.0.1:9', email_env: E, token_env: T,\n"
        "     jql: project = X, statuses: {Done: Done}, max_attempts: 1, timeout_seconds: 2}\n"
    )
    result = run_cli("sync", "--config", str(config), env={"E": "e@x.test", "T": "canary-t-771"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "failed" in result.stdout
    assert "canary-t-771" not in result.stdout + result.stderr


def test_sync_of_one_source_needs_only_its_secrets_and_a_wrong_url_is_named(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "lpmsync.yaml"
    config.write_text(
        EXAMPLE.read_text()
        .replace("url: https://acme.atlassian.net", f"url: http://127.0.0.1:{port}")
        .replace("  data_dir: data", f"  data_dir: {tmp_path / 'data'}")
    )
    jira_only = {"JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "canary-e2e-9931"}
    result = run_cli("sync", "--config", str(config), "--source", "jira-cloud", env=jira_only)
    assert result.returncode == 1, result.stderr
    assert f"cannot reach http://127.0.0.1:{port} (connection refused)" in result.stdout
    assert "ADO_PAT" not in result.stdout + result.stderr
    everything = run_cli("sync", "--config", str(config), env=jira_only)
    assert everything.returncode == 2 and "ADO_PAT is not set" in everything.stderr


def test_help_lists_each_command_in_one_sentence() -> None:
    result = run_cli("--help", env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    listing = result.stdout[result.stdout.index("Commands") :]
    rows = [line.strip("│ ").split(None, 1) for line in listing.splitlines()[1:-1]]
    assert [row[0] for row in rows][:3] == ["demo", "run", "sync"]
    send = {row[0]: row[1].strip() for row in rows if len(row) == 2}["send"]
    assert send.startswith("Send what waits in the outbox") and send.endswith(".")
    assert "SIGTERM" not in send  # the caveats stay in `lpmsync send --help`
