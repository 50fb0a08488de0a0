"""`lpmsync demo` (`make demo`): the whole product against the bundled sandbox, in one command.

It starts loopback fakes of Jira Cloud, Azure DevOps and Slack seeded with the sample portfolio,
points the demo config at them, then runs what the service runs: sync → check → send, and the
weekly digest. The config is package data (`lpmsync/sandbox/demo.yaml`), so the demo runs from
any directory and from an installed wheel. The clock is the sample portfolio's own "now", so the
output is the same every time.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.table import Table

from lpmsync.bootstrap import build_connectors, build_slack_sender, open_configured_store
from lpmsync.cli.common import console, load, print_send, show
from lpmsync.cli.demo_slack import act_in_slack
from lpmsync.cli.slack_view import render_message
from lpmsync.cli.sync_cmd import summary_table
from lpmsync.sandbox.demo_config import demo_config_path
from lpmsync.sandbox.serve import RunningSandbox, start_sandbox
from lpmsync.sandbox.slack import DEFAULT_CHANNELS, SlackWorkspace
from lpmsync.services.clock import Clock
from lpmsync.services.digest import plan_digest, publish_digest, write_preview
from lpmsync.services.notify import notify_findings, routing_policy
from lpmsync.services.report import build_report
from lpmsync.services.send import drain_outbox
from lpmsync.services.sync import sync_sources
from lpmsync.settings import AzureDevOpsSource, JiraSource, Settings
from lpmsync.store import SqlStore


def demo(
    out: Annotated[Path, typer.Option("--out", help="Where the demo writes its files.")] = Path(
        "demo-out"
    ),
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Demo config (default: the one bundled with lpmsync)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Sample portfolio seed.")] = 42,
    no_serve: Annotated[
        bool,
        typer.Option(
            "--no-serve",
            help="Do not serve the board at the end (it is only served on a terminal anyway).",
        ),
    ] = False,
) -> None:
    """Run sync → check → send → digest against the bundled sandbox (no credentials needed)."""
    started = time.monotonic()
    # The sample portfolio breaks rules and ships malformed items on purpose; the tables below
    # report them, so the per-item warnings would only be noise here.
    logging.getLogger().setLevel(logging.ERROR)
    with start_sandbox(seed=seed) as sandbox:
        # This process is the demo's own: the sandbox's fixed credentials (not secrets) go in the
        # variables the demo config names, like an operator's exported secrets would.
        os.environ.update(sandbox.credentials())
        settings = _pointed_at(_demo_settings(config), sandbox, out)
        clock = _demo_clock(sandbox.portfolio.now)
        _intro(sandbox)
        store = _fresh_store(settings, out)
        workspace = sandbox.slack_workspace
        assert isinstance(workspace, SlackWorkspace), "the sandbox Slack server did not start"
        try:
            clock = _run(settings, store, clock, out)
            _show_slack(workspace, out)
            server = sandbox.personalities["slack"].base_url.removesuffix("/api/")
            act_in_slack(settings, store, clock, workspace, server)  # buttons, as Slack delivers
        finally:
            store.close()
    _outro(out, time.monotonic() - started)
    if _should_serve(no_serve):
        # Only now the board and its web stack: --no-serve, CI and pipes never import them.
        from lpmsync.cli.demo_board import serve_demo_board  # noqa: PLC0415 (start-up time)

        serve_demo_board(settings, clock)


def _should_serve(no_serve: bool) -> bool:
    """Only for a person at a terminal: CI and pipes never wait for a Ctrl-C."""
    return not no_serve and sys.stdin.isatty() and sys.stdout.isatty()


def _demo_settings(config: Path | None) -> Settings:
    if config is not None:
        return load(config)
    with demo_config_path() as bundled:
        return load(bundled)


def _pointed_at(settings: Settings, sandbox: RunningSandbox, out: Path) -> Settings:
    """The config with every URL replaced by where this sandbox actually listens."""
    urls = {name: p.base_url for name, p in sandbox.personalities.items()}
    sources: list[Any] = []
    for source in settings.sources:
        if isinstance(source, JiraSource):
            key = "jira-cloud" if source.deployment == "cloud" else "jira-dc"
            sources.append(source.model_copy(update={"url": urls[key]}))
        elif isinstance(source, AzureDevOpsSource):
            sources.append(source.model_copy(update={"organization_url": urls["ado"]}))
    slack = settings.notify.slack
    assert slack is not None, "the demo config must configure notify.slack"
    notify = settings.notify.model_copy(
        update={"slack": slack.model_copy(update={"base_url": urls["slack"]})}
    )
    store = settings.store.model_copy(update={"url": None, "data_dir": out / "data"})
    return settings.model_copy(update={"sources": sources, "notify": notify, "store": store})


def _demo_clock(start: datetime) -> Clock:
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def _fresh_store(settings: Settings, out: Path) -> SqlStore:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return open_configured_store(settings)


def _run(settings: Settings, store: SqlStore, clock: Clock, out: Path) -> Clock:
    """Sync, a first check (a new store: one baseline summary), the same check a day later
    (alerts still open repeat, one message per rule with buttons), then the digest. Returns the
    clock of that later day, which the rest of the demo runs on."""
    connectors = build_connectors(settings)
    try:
        console.rule("[bold]1. sync[/]: the trackers into the store")
        show(summary_table(sync_sources(store, connectors, clock)))
    finally:
        for connector in connectors:
            connector.close()
    console.rule("[bold]2. check[/]: findings → alerts → outbox → Slack (a new store: a baseline)")
    report = build_report(settings, store.items, clock)
    show(_findings_table(Counter(f.rule for f in report.analysis.findings)))
    _check(settings, store, clock)
    slack = settings.notify.slack
    assert slack is not None, "the demo config must configure notify.slack"
    later = _shifted(clock, slack.repeat_interval + timedelta(minutes=1))
    console.rule("[bold]3. a day later[/]: alerts still open repeat, one message per rule")
    _check(settings, store, later)
    console.rule("[bold]4. digest[/]: the weekly alignment digest with charts")
    plan = plan_digest(store, settings, later())
    written = write_preview(plan, out / "digest")
    publish_digest(store, plan, later())
    print_send(drain_outbox(store, build_slack_sender(settings), later, sleep=time.sleep))
    console.print(f"digest preview: {', '.join(str(p) for p in written)}", highlight=False)
    return later


def _check(settings: Settings, store: SqlStore, clock: Clock) -> None:
    findings = build_report(settings, store.items, clock).analysis.findings
    outcome = notify_findings(store, findings, routing_policy(settings), clock())
    queued = f"{outcome.enqueued} message{'' if outcome.enqueued == 1 else 's'} queued"
    console.print(f"alerts: {outcome.firing} firing; {queued}")
    print_send(drain_outbox(store, build_slack_sender(settings), clock, sleep=time.sleep))


def _shifted(clock: Clock, by: timedelta) -> Clock:
    return lambda: clock() + by


def _findings_table(by_rule: Counter[str]) -> Table:
    table = Table(title="findings by rule", title_justify="left")
    table.add_column("rule")
    table.add_column("findings", justify="right")
    for rule, count in sorted(by_rule.items()):
        table.add_row(rule, str(count))
    return table


def _intro(sandbox: RunningSandbox) -> None:
    portfolio = sandbox.portfolio
    lines = [f"sample portfolio (seed {portfolio.seed}) as of {portfolio.now:%Y-%m-%d %H:%M} UTC"]
    lines += [f"{p.title:<18} {p.base_url}" for p in sandbox.personalities.values()]
    console.print(Panel("\n".join(lines), title="lpmsync demo: sandbox on loopback", expand=False))


def _show_slack(workspace: SlackWorkspace, out: Path) -> None:
    console.rule("[bold]5. what Slack shows[/]")
    messages = workspace.messages()
    names = {channel.id: channel.name for channel in DEFAULT_CHANNELS}
    for message in workspace.top_level():
        replies = workspace.replies(message.channel, message.ts)
        note = f" · {len(replies)} in thread" if replies else ""
        title = f"#{names.get(message.channel, message.channel)}{note}"
        console.print(render_message(message.as_dict(), title=title))
    files = workspace.files()
    console.print(f"{len(messages)} messages and {len(files)} chart uploads in the sandbox Slack")
    dump = [m.as_dict() | {"channel": m.channel} for m in messages]
    (out / "slack-messages.json").write_text(json.dumps(dump, indent=2, ensure_ascii=False))


def _outro(out: Path, seconds: float) -> None:
    console.print(
        Panel(
            f"Done in {seconds:.1f} s. Look at:\n"
            f"  {out}/digest/digest.html    the weekly digest as a page (charts inline)\n"
            f"  {out}/digest/               Block Kit JSON and the chart PNGs\n"
            f"  {out}/slack-messages.json   every message the sandbox Slack received\n"
            f"  {out}/data/lpmsync.db        the store (SQLite)\n\n"
            # A paragraph the panel wraps to the terminal (80 columns in a pipe), then the commands.
            "To point lpmsync at your own trackers: copy config/lpmsync.example.yaml (in the "
            "repository; every key is documented there) to config/lpmsync.yaml, set the URLs, "
            "JQL/WIQL scope and status mappings, export the secrets it names (JIRA_API_TOKEN, "
            "ADO_PAT, SLACK_BOT_TOKEN, …), then run\n"
            "`lpmsync config validate`, `lpmsync sync` and `lpmsync run`.",
            title="next",
            expand=False,
        )
    )
