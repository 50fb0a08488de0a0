"""Light commands import only what they use: `lpmsync --version`, `status` and `report` never load
matplotlib, the tracker SDKs, Slack, the scheduler, alembic or the sandbox (start-up time; the
seconds themselves are measured in benchmarks/, not asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_status import write_config

HEAVY = (
    "matplotlib",
    "slack_sdk",
    "jira",
    "azure.devops",
    "msrest",
    "requests",
    "alembic",
    "apscheduler.schedulers",
    "lpmsync.sandbox",
    "lpmsync.notify.charts",
    "lpmsync.notify.slack",
    "lpmsync.connectors.jira",
    "lpmsync.connectors.azure_devops",
    "lpmsync.scheduler",
    "prometheus_client",
)
# Run the entry point, then print which of the named modules were imported.
PROBE = """
import json, sys
from lpmsync.cli import main
try:
    main()
except SystemExit:
    pass
names = json.loads(sys.argv[-1])
sys.stdout.write("\\nIMPORTED " + json.dumps(sorted(n for n in names if n in sys.modules)))
"""


def imported(args: list[str], names: tuple[str, ...], cwd: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPMSYNC_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args, json.dumps(names)],
        env={**env, "COLUMNS": "200", "ADO_PAT": "x"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    marker = done.stdout.rfind("IMPORTED ")
    assert marker >= 0, done.stdout + done.stderr
    return list(json.loads(done.stdout[marker + len("IMPORTED ") :]))


def test_version_imports_neither_settings_nor_store(tmp_path: Path) -> None:
    names = (*HEAVY, "sqlalchemy", "pydantic", "lpmsync.settings", "lpmsync.store")
    assert imported(["--version"], names, tmp_path) == []


@pytest.mark.parametrize("command", ["status", "report"])
def test_light_commands_leave_the_heavy_modules_alone(tmp_path: Path, command: str) -> None:
    config = write_config(tmp_path)
    # a second run finds the schema at head: the usual case, answered without alembic
    imported([command, "--config", str(config)], (), tmp_path)
    assert imported([command, "--config", str(config)], HEAVY, tmp_path) == []


# The store's repositories load on first use: each light command imports the ones it reads,
# and neither builds a connector.
CONNECTORS = ("lpmsync.connectors.registry", "lpmsync.connectors.base", "lpmsync.connectors.retry")
UNUSED = {
    "status": (
        *CONNECTORS,
        "lpmsync.store.audit",
        "lpmsync.store.silences",
        "lpmsync.store.snapshots",
    ),
    "report": (
        *CONNECTORS,
        "lpmsync.store.runs",
        "lpmsync.store.alerts",
        "lpmsync.store.outbox",
        "lpmsync.store.audit",
        "lpmsync.store.silences",
        "lpmsync.store.snapshots",
    ),
}


@pytest.mark.parametrize("command", ["status", "report"])
def test_light_commands_import_only_the_repositories_they_read_and_no_connector(
    tmp_path: Path, command: str
) -> None:
    config = write_config(tmp_path)
    imported([command, "--config", str(config)], (), tmp_path)
    assert imported([command, "--config", str(config)], UNUSED[command], tmp_path) == []


def test_the_probe_sees_heavy_imports(tmp_path: Path) -> None:
    """The same probe does see them when a command needs them (the test above can fail)."""
    found = imported(["sandbox", "--help"], ("lpmsync.sandbox", "matplotlib"), tmp_path)
    assert "lpmsync.sandbox" in found


def test_the_demo_leaves_the_board_web_stack_until_it_serves(tmp_path: Path) -> None:
    """`demo` (its module loaded by `--help`) imports the web stack only to serve the board."""
    found = imported(["demo", "--help"], ("lpmsync.cli.demo_cmd", "lpmsync.web"), tmp_path)
    assert found == ["lpmsync.cli.demo_cmd"]
