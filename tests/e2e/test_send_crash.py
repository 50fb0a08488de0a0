"""kill -9 and SIGTERM during `lpmsync send`, at the worst moment: Slack has posted the message
and its answer is still on the way. Repeated trials: every message reaches Slack exactly once.

The held answer is released only after the process is gone (kill -9) or has been asked to stop
(SIGTERM). After a kill -9 the dead sender's rows are leased for a minute; the test lets that
minute pass by clearing the leases, as the existing kill test does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.sandbox.http import Handler, Request, Response, Router, SandboxServer
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from lpmsync.store import open_store
from lpmsync.store.outbox_rows import OutboxStatus
from lpmsync.store.schema import outbox
from tests.e2e.cli_helpers import run_cli
from tests.e2e.test_run_crash import assert_each_alert_posted_once
from tests.e2e.test_run_helpers import cycle_done, running, sandbox, write_config

pytestmark = pytest.mark.slow

MESSAGES = 5
WAIT = 60.0
TRIALS = 3


class AnswerGate(Router):
    """Lets the `hold`-th chat.postMessage reach Slack, then holds its answer until `open()`."""

    def __init__(self, inner: Router, hold: int) -> None:
        super().__init__(inner.name)
        self.inner, self.hold = inner, hold
        self.posted, self.opened = threading.Event(), threading.Event()
        self._count, self._lock = 0, threading.Lock()

    def resolve(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        found = self.inner.resolve(method, path)
        if found is None or not found[0].endswith("chat.postMessage"):
            return found
        endpoint, handler, params = found
        return endpoint, lambda request: self._answer(handler, request), params

    def _answer(self, handler: Handler, request: Request) -> Response:
        response = handler(request)  # Slack has the message now
        with self._lock:
            self._count += 1
            held = self._count == self.hold
        if held:
            self.posted.set()
            self.opened.wait(WAIT)
        return response


@contextmanager
def slack_with_gate(hold: int) -> Iterator[tuple[SlackWorkspace, SandboxServer, AnswerGate]]:
    workspace = SlackWorkspace()
    gate = AnswerGate(workspace.router, hold)
    with SandboxServer(gate) as server:
        try:
            yield workspace, server, gate
        finally:
            gate.opened.set()


def setup(tmp_path: Path, server: SandboxServer) -> Path:
    config = tmp_path / "lpmsync.yaml"
    config.write_text(
        "portfolio: {name: Crash test}\n"
        f"store: {{data_dir: '{tmp_path / 'data'}'}}\n"
        "notify:\n"
        "  slack:\n"
        "    token_env: SLACK_BOT_TOKEN\n"
        f"    base_url: {slack_base_url(server.url)}\n"
        "    default_channel: C0PORTFOLIO\n"
        "    timeout_seconds: 30\n",
        encoding="utf-8",
    )
    store = open_store(database_url(tmp_path))
    messages = [
        OutgoingMessage(MessageKind.POST, "C0PORTFOLIO", f"message {n}", f"alert:{n}")
        for n in range(MESSAGES)
    ]
    store.outbox.enqueue(messages, datetime.now(UTC))
    store.close()
    return config


def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'lpmsync.db'}"


def start_send(config: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPMSYNC_")}
    return subprocess.Popen(
        [sys.executable, "-c", "from lpmsync.cli import main; main()", "send", "-c", str(config)],
        env={**env, "SLACK_BOT_TOKEN": SANDBOX_TOKEN, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def send_again(config: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("send", "-c", str(config), env={"SLACK_BOT_TOKEN": SANDBOX_TOKEN})


def lapse_leases(tmp_path: Path) -> None:
    """A minute later: the dead sender's leases have run out."""
    engine = sa.create_engine(database_url(tmp_path))
    try:
        with engine.begin() as conn:
            conn.execute(sa.update(outbox).values(claimed_by=None, claimed_until=None))
    finally:
        engine.dispose()


def assert_each_message_posted_once(tmp_path: Path, workspace: SlackWorkspace) -> None:
    texts = Counter(m.text for m in workspace.messages())
    assert texts == Counter(f"message {n}" for n in range(MESSAGES))  # 0 duplicates, 0 lost
    store = open_store(database_url(tmp_path))
    try:
        entries = store.outbox.entries()
        assert {e.status for e in entries} == {OutboxStatus.SENT}
        landed = {m.text: m.ts for m in workspace.messages()}
        assert all(landed[e.message.text] == e.sent_ts for e in entries)
    finally:
        store.close()


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_after_slack_posted_neither_duplicates_nor_loses(tmp_path: Path, trial: int) -> None:
    with slack_with_gate(hold=trial + 1) as (workspace, server, gate):
        config = setup(tmp_path, server)
        process = start_send(config)
        try:
            assert gate.posted.wait(WAIT), process.communicate(timeout=5)
            process.kill()
            process.wait(WAIT)
        finally:
            gate.opened.set()
        assert len(workspace.messages()) == trial + 1  # the held one is in Slack
        assert_the_dead_run_shows_as_abandoned(config)
        lapse_leases(tmp_path)
        again = send_again(config)
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"{MESSAGES - trial - 1} sent" in again.stdout
        assert "1 already in Slack" in again.stdout
        assert server.log.counts()["POST conversations.history"] == 1
        assert_each_message_posted_once(tmp_path, workspace)
        store = open_store(database_url(tmp_path))
        runs = store.runs.recent(job="send")
        store.close()
        assert sorted(run.status for run in runs) == ["abandoned", "ok"]  # recorded so too


def assert_the_dead_run_shows_as_abandoned(config: Path) -> None:
    status = run_cli("status", "-c", str(config), "--format", "json")
    assert status.returncode == 0, status.stderr
    [run] = [run for run in json.loads(status.stdout)["runs"] if run["job"] == "send"]
    assert run["status"] == "abandoned"
    table = run_cli("status", "-c", str(config))
    assert "abandoned" in table.stdout


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigterm_finishes_the_message_in_flight_and_exits_0(tmp_path: Path, trial: int) -> None:
    with slack_with_gate(hold=trial + 1) as (workspace, server, gate):
        config = setup(tmp_path, server)
        process = start_send(config)
        try:
            assert gate.posted.wait(WAIT), process.communicate(timeout=5)
            process.send_signal(signal.SIGTERM)
        finally:
            gate.opened.set()  # the answer arrives after the signal
        stdout, stderr = process.communicate(timeout=WAIT)
        assert process.returncode == 0, stdout + stderr
        left = MESSAGES - trial - 1
        assert f"send: {trial + 1} sent" in stdout
        assert f"stopped on SIGTERM: {left} left in the outbox" in stdout
        assert len(workspace.messages()) == trial + 1
        again = send_again(config)  # no lease to wait for: the stopped sender gave them back
        assert again.returncode == 0 and f"send: {left} sent" in again.stdout, again.stdout
        assert server.log.counts()["POST conversations.history"] == 0
        assert_each_message_posted_once(tmp_path, workspace)


def test_sigterm_stops_the_service_s_send_step_after_the_message_in_flight(
    tmp_path: Path,
) -> None:
    gates: list[AnswerGate] = []

    def gate(router: Router) -> Router:
        gates.append(AnswerGate(router, hold=2))
        return gates[0]

    with sandbox(slack_gate=gate) as box:
        config = write_config(tmp_path, box, baseline_threshold="null")  # several messages
        with running(config, "--sync-now") as service:
            try:
                assert gates[0].posted.wait(WAIT), service.output()
                service.process.send_signal(signal.SIGTERM)
            finally:
                gates[0].opened.set()
            assert service.process.wait(WAIT) == 0
            service.drain()
        assert "stopped on SIGTERM" in service.output()
        posted = len(box.workspace.top_level())
        assert posted == 2  # the one in flight finished; nothing after it started
        store = open_store(database_url(tmp_path))
        left = store.outbox.depth()
        store.close()
        assert left > 0
        with running(config, "--sync-now") as restarted:
            restarted.wait_for(cycle_done)
            assert restarted.stop() == 0
        store = open_store(database_url(tmp_path))
        try:
            assert store.outbox.depth() == 0
            assert_each_alert_posted_once(box, store)
        finally:
            store.close()
