"""`lpmsync slack listen` and `lpmsync run` answer Slack over the sandbox's Socket Mode, and stop
cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from lpmsync.sandbox.slack_interact import Interactions
from lpmsync.sandbox.slack_views import SANDBOX_APP_TOKEN
from tests.e2e.test_run_helpers import Service, base_env, running, sandbox, write_config

INTERACTIVE = "    interactive:\n      allowed: ['*']\n"


def ask_help(box_workspace: object, url: str) -> None:
    from lpmsync.sandbox.slack import SlackWorkspace

    assert isinstance(box_workspace, SlackWorkspace)
    box_workspace.interactive.socket.wait_connected(timeout=60)
    Interactions(box_workspace, url).command("U0PM", "help")
    deadline = time.monotonic() + 30
    while not box_workspace.interactive.ephemerals("U0PM"):
        assert time.monotonic() < deadline, "no answer to /lpm help"
        time.sleep(0.05)
    [answer] = box_workspace.interactive.ephemerals("U0PM")
    assert "/lpm why KEY" in str(answer.blocks)


def test_slack_listen_answers_and_stops_cleanly(tmp_path: Path) -> None:
    with sandbox(size=100) as box:
        config = write_config(tmp_path, box)
        config.write_text(config.read_text() + INTERACTIVE)
        process = subprocess.Popen(
            [sys.executable, "-c", "from lpmsync.cli import main; main()", "--log-format",
             "json", "slack", "listen", "-c", str(config)],
            env=base_env({"SLACK_APP_TOKEN": SANDBOX_APP_TOKEN}),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        service = Service(process)
        threading.Thread(target=service._pump, daemon=True).start()
        try:
            ask_help(box.workspace, box.slack.url)
            assert service.stop(signal.SIGTERM) == 0, service.output()
        finally:
            if process.poll() is None:
                process.kill()
        box.workspace.interactive.socket.stop()
    assert "Slack app stopped" in service.output() and "Traceback" not in service.output()


def test_run_starts_the_slack_app(tmp_path: Path) -> None:
    with sandbox(size=100) as box:
        config = write_config(tmp_path, box)
        config.write_text(config.read_text() + INTERACTIVE)
        env = {"SLACK_APP_TOKEN": SANDBOX_APP_TOKEN}
        with running(config, env=env) as service:
            service.wait_for_message("Slack app connected over Socket Mode")
            ask_help(box.workspace, box.slack.url)
            assert service.stop() == 0, service.output()
        box.workspace.interactive.socket.stop()
