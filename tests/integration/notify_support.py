"""What the notify and digest integration tests share: a config, items, the sandbox Slack."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lpmsync.domain.model import UNMAPPED, Level, WorkItem
from lpmsync.domain.sync import SyncPage
from lpmsync.notify.slack import SlackSender, slack_client
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.knobs import Knobs
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from lpmsync.settings import Settings, load_settings
from lpmsync.store import SqlStore

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday

CONFIG = """
portfolio:
  name: Sandbox <Portfolio>
  timezone: Europe/Berlin
  states:
    - name: Funnel
    - name: Reviewing
    - name: Analyzing
      wip_limit: 30
    - name: Ready
    - name: Implementing
      wip_limit: 5
      max_age_days: 60
    - name: Done
themes:
  - key: cx
    name: Customer Experience
    owner: U0CXOWNER
    target_share: 0.5
    match: {labels: [cx]}
  - key: data
    name: Data
    owner: S0DATATEAM
    target_share: 0.2
    match: {labels: [data]}
notify:
  slack:
    token_env: SLACK_BOT_TOKEN
    base_url: {base_url}
    default_channel: C0PORTFOLIO
    baseline_threshold: null            # these tests follow single alerts from the first check
    routes:
      - match: {theme: cx}
        channel: C0CXTEAM
      - match: {rule: wip-breach}
        channel: C0FLOW
        mention_owner: false
    digest: {top_n: {top_n}}
"""


def write_config(
    directory: Path, base_url: str, store_url: str | None = None, *, top_n: int = 5
) -> Path:
    text = CONFIG.replace("{base_url}", base_url).replace("{top_n}", str(top_n))
    if store_url is not None:
        text += f"store:\n  url: {store_url}\n"
    path = directory / "lpmsync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def settings_for(
    directory: Path, base_url: str = "http://127.0.0.1:9/api/", *, top_n: int = 5
) -> Settings:
    environ = {"SLACK_BOT_TOKEN": SANDBOX_TOKEN}
    return load_settings(write_config(directory, base_url, top_n=top_n), environ)


def work_item(
    key: str,
    *,
    state: str = "Implementing",
    labels: tuple[str, ...] = (),
    title: str | None = None,
    status: str | None = None,
    age_days: int = 10,
) -> WorkItem:
    entered = T0 - timedelta(days=age_days)
    return WorkItem(
        source="jira",
        key=key,
        id=key.rsplit("-", maxsplit=1)[-1],
        level=Level.EPIC,
        title=title or f"Epic {key}",
        url=f"https://jira.example/browse/{key}",
        status=status or state,
        state=state,
        created=entered - timedelta(days=1),
        updated=T0 - timedelta(days=1),
        entered_state_at=None if state == UNMAPPED else entered,
        labels=labels,
    )


def put_items(store: SqlStore, items: list[WorkItem]) -> None:
    store.items.apply_page("jira", SyncPage(items=tuple(items)), T0)


@dataclass
class FakeClock:
    """A clock the test moves by hand; the sender's retries read it too."""

    now: datetime = T0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@dataclass
class Slack:
    workspace: SlackWorkspace
    server: SandboxServer

    @property
    def base_url(self) -> str:
        return slack_base_url(self.server.url)

    def sender(self) -> SlackSender:
        client = slack_client(SANDBOX_TOKEN, base_url=self.base_url, timeout_seconds=5)
        return SlackSender(client)

    def calls(self, method: str) -> int:
        """Requests to one Web API method (logged as "POST chat.update")."""
        return self.server.log.counts()[f"POST {method}"]


def serve_slack() -> Iterator[Slack]:
    """The sandbox Slack on loopback (for a module-scoped fixture)."""
    workspace = SlackWorkspace()
    with SandboxServer(workspace.router) as server:
        yield Slack(workspace, server)


def fresh(slack: Slack) -> Slack:
    """The same server with an empty workspace, log and knobs (for a per-test fixture)."""
    slack.workspace.reset()
    slack.server.log.clear()
    slack.server.knobs = Knobs()
    return slack
