"""A running Slack app (Bolt over the sandbox's Socket Mode) on a store with fired alerts."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from lpmsync.notify.slack import SlackSender, slack_client
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from lpmsync.sandbox.slack_interact import Interactions
from lpmsync.sandbox.slack_records import SlackMessage
from lpmsync.sandbox.slack_views import SANDBOX_APP_TOKEN
from lpmsync.services.notify import notify_findings, routing_policy
from lpmsync.services.report import build_report
from lpmsync.services.send import drain_outbox
from lpmsync.settings import Settings, load_settings
from lpmsync.slackapp.app import AckingSocketModeHandler
from lpmsync.slackapp.listen import build_slack_app, socket_handler
from lpmsync.store import SqlStore, open_store
from tests.integration.notify_support import CONFIG, FakeClock, put_items, work_item

ENVIRON = {"SLACK_BOT_TOKEN": SANDBOX_TOKEN, "SLACK_APP_TOKEN": SANDBOX_APP_TOKEN}
PM, STRANGER = "U0PM", "U0STRANGER"
T = TypeVar("T")


def write_settings(
    directory: Path,
    base_url: str,
    store_url: str,
    *,
    extra: str = "",
    environ: dict[str, str] = ENVIRON,
    allowed: str = PM,
) -> Settings:
    text = CONFIG.replace("{base_url}", base_url).replace("{top_n}", "5")
    text += f"    interactive:\n      allowed: [{allowed}]\n{extra}store:\n  url: {store_url}\n"
    path = directory / "lpmsync.yaml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, environ)


@dataclass
class Harness:
    workspace: SlackWorkspace
    server: SandboxServer
    store: SqlStore
    settings: Settings
    clock: FakeClock
    handler: AckingSocketModeHandler
    config_path: Path

    @property
    def people(self) -> Interactions:
        return Interactions(self.workspace, self.server.url)

    def sender(self) -> SlackSender:
        base = slack_base_url(self.server.url)
        return SlackSender(slack_client(SANDBOX_TOKEN, base_url=base, timeout_seconds=5))

    def check(self, *, send: bool = True) -> None:
        """What `lpmsync check` does, at the harness clock."""
        report = build_report(self.settings, self.store.items, self.clock)
        notify_findings(
            self.store, report.analysis.findings, routing_policy(self.settings), self.clock()
        )
        if send:
            drain_outbox(self.store, self.sender(), self.clock)

    def alert_message(self, key: str) -> SlackMessage:
        [message] = [m for m in self.workspace.top_level() if key in m.text]
        return message

    def calls(self, method: str) -> int:
        return self.server.log.counts()[f"POST {method}"]


def wait_for(probe: Callable[[], T | None], timeout: float = 10.0) -> T:
    """The first truthy answer of `probe` (the app acks first and works after)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("the Slack app did not get there in time")


def running_app(tmp_path: Path, store_url: str, allowed: str = PM) -> Iterator[Harness]:
    workspace = SlackWorkspace()
    with SandboxServer(workspace.router) as server:
        base_url = slack_base_url(server.url)
        settings = write_settings(tmp_path, base_url, store_url, allowed=allowed)
        store = open_store(store_url)
        clock = FakeClock()
        put_items(store, [work_item("P-1"), work_item("P-2"), work_item("P-3", labels=("cx",))])
        app = build_slack_app(settings, store, environ=ENVIRON, clock=clock)
        handler = socket_handler(app, settings, ENVIRON)
        handler.connect()  # type: ignore[no-untyped-call]
        harness = Harness(
            workspace, server, store, settings, clock, handler, tmp_path / "lpmsync.yaml"
        )
        try:
            workspace.interactive.socket.wait_connected()
            harness.check()
            yield harness
        finally:
            handler.close()
            store.close()
