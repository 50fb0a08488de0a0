"""The demo's fourth act: a portfolio manager acts on alerts from Slack.

The Slack app connects to the sandbox over Socket Mode; the demo delivers two clicks exactly as
Slack would (Acknowledge on one alert, Snooze 1 week on another, each from the item's ⋯ menu),
then shows the answers only the manager sees, the edited messages and the audit trail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from rich.table import Table

from lpmsync.cli.common import console, show
from lpmsync.cli.slack_view import render_message
from lpmsync.notify.render_actions import ITEM_ACTION
from lpmsync.sandbox.slack import SlackWorkspace
from lpmsync.sandbox.slack_interact import Interactions
from lpmsync.sandbox.slack_records import SlackMessage
from lpmsync.services.clock import Clock
from lpmsync.settings import Settings
from lpmsync.slackapp.listen import build_slack_app, socket_handler
from lpmsync.store import SqlStore

DEMO_USER = "U0DEMOPM"
T = TypeVar("T")


def act_in_slack(
    settings: Settings, store: SqlStore, clock: Clock, workspace: SlackWorkspace, server_url: str
) -> None:
    console.rule("[bold]6. act from Slack[/]: Acknowledge and Snooze, as Slack delivers the clicks")
    handler = socket_handler(
        build_slack_app(settings, store, people=settings.people.lookup(), clock=clock), settings
    )
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        workspace.interactive.socket.wait_connected()
        people = Interactions(workspace, server_url)
        alerts = [m for m in workspace.top_level() if _first_item(m)][:2]
        for message, choice in zip(alerts, ("ack", "1w"), strict=False):
            _click(workspace, people, message, f"{choice}:{_first_item(message)}")
    finally:
        handler.close()  # prompt: no receive timeout to wait out
    show(_audit_table(store))


def _click(
    workspace: SlackWorkspace, people: Interactions, message: SlackMessage, option: str
) -> None:
    """Choose `option` from the first item's ⋯ menu; show the answer and the edited message."""
    answers = len(workspace.interactive.ephemerals(DEMO_USER))
    people.click(DEMO_USER, message.channel, message.ts, ITEM_ACTION, option=option)

    def edited() -> SlackMessage | None:
        now = workspace.message(message.channel, message.ts)
        return now if now is not None and now.edits > message.edits else None

    def answered() -> bool:
        return len(workspace.interactive.ephemerals(DEMO_USER)) > answers

    shown = _wait(edited)
    _wait(answered)
    answer = workspace.interactive.ephemerals(DEMO_USER)[-1]
    console.print(f"[bold]only {DEMO_USER} sees:[/] {answer.text}", highlight=False)
    console.print(render_message(shown.as_dict(), title=f"edited · {shown.channel}"))


def _first_item(message: SlackMessage) -> str | None:
    """The fingerprint of the message's first item with a ⋯ menu."""
    for block in message.blocks:
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("action_id") == ITEM_ACTION:
            return str(accessory["options"][0]["value"]).split(":", 1)[1]
    return None


def _wait(probe: Callable[[], T | None], timeout: float = 15.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise RuntimeError("the Slack app did not answer in time")


def _audit_table(store: SqlStore) -> Table:
    table = Table(title="lpmsync audit", title_justify="left")
    for column in ("at (UTC)", "who", "action", "alerts", "detail"):
        table.add_column(column)
    for entry in store.audit.since():
        detail = ", ".join(f"{k}={v}" for k, v in sorted(entry.detail.items()))
        table.add_row(
            f"{entry.at:%Y-%m-%d %H:%M}",
            entry.actor,
            entry.action.value,
            str(len(entry.fingerprints)),
            detail,
        )
    return table
