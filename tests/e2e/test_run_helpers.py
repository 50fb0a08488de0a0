"""What the runtime tests share: the sandbox trackers and Slack on loopback, a config pointing at
them, and `lpmsync run` as a subprocess whose JSON log lines the test can wait for.

(No tests here; test_run*, test_replicas*, test_status* and test_logs_canaries import these.)
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lpmsync.sandbox.azure_devops.routes import build_router as ado_router
from lpmsync.sandbox.generator import SamplePortfolio, generate
from lpmsync.sandbox.generator_catalog import ADO_MAPPING, JIRA_MAPPING
from lpmsync.sandbox.http import Handler, Request, Response, Router, SandboxServer
from lpmsync.sandbox.jira.cloud import build_router as jira_cloud_router
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url

ADO_PAT = "ado-sandbox-pat-7c1d"
JIRA_EMAIL = "lpmsync-bot@example.com"
JIRA_TOKEN = "jira-sandbox-token-91ab"
SLACK_CHANNEL = "C0PORTFOLIO"
SECRETS = {
    "ADO_PAT": ADO_PAT,
    "JIRA_EMAIL": JIRA_EMAIL,
    "JIRA_API_TOKEN": JIRA_TOKEN,
    "SLACK_BOT_TOKEN": SANDBOX_TOKEN,
}
WAIT = 120.0  # seconds a subprocess gets to reach a state; a timeout only guards a hung test


@dataclass
class Sandbox:
    """Jira Cloud, Azure DevOps and Slack sandboxes serving the seeded sample portfolio."""

    jira: SandboxServer
    ado: SandboxServer
    slack: SandboxServer
    workspace: SlackWorkspace
    portfolio: SamplePortfolio

    @property
    def ado_org_url(self) -> str:
        return f"{self.ado.url}/contoso"

    @property
    def slack_url(self) -> str:
        return slack_base_url(self.slack.url)


class Gate(Router):
    """Holds requests to one endpoint from the `block_from`-th on, until `open()`; a held
    request then fails with a 503 without reaching the personality (its client is gone)."""

    def __init__(self, endpoint: str, block_from: int) -> None:
        super().__init__("gate")
        self.endpoint, self.block_from = endpoint, block_from
        self.inner: Router | None = None
        self.arrived, self.opened = threading.Event(), threading.Event()
        self._lock, self._count = threading.Lock(), 0

    def wrap(self, router: Router) -> Gate:
        self.inner, self.name = router, router.name
        return self

    def open(self) -> None:
        self.opened.set()

    def resolve(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        assert self.inner is not None
        found = self.inner.resolve(method, path)
        if found is None or not found[0].endswith(self.endpoint):
            return found
        endpoint, handler, params = found
        return endpoint, lambda request: self._pass(handler, request), params

    def _pass(self, handler: Handler, request: Request) -> Response:
        with self._lock:
            self._count += 1
            held = self._count >= self.block_from and not self.opened.is_set()
        if not held:
            return handler(request)
        self.arrived.set()
        self.opened.wait(WAIT)
        return Response(503, {"error": "held by the test, then dropped"})


def _as_is(router: Router) -> Router:
    return router


@contextmanager
def sandbox(
    seed: int = 7,
    size: int = 100,
    *,
    ado_gate: Callable[[Router], Router] = _as_is,
    slack_gate: Callable[[Router], Router] = _as_is,
) -> Iterator[Sandbox]:
    portfolio = generate(seed, size)
    workspace = SlackWorkspace()
    jira_router = jira_cloud_router(portfolio.jira_cloud, email=JIRA_EMAIL, token=JIRA_TOKEN)
    with (
        SandboxServer(jira_router) as jira,
        SandboxServer(ado_gate(ado_router(portfolio.ado, pat=ADO_PAT))) as ado,
        SandboxServer(slack_gate(workspace.router)) as slack,
    ):
        yield Sandbox(jira, ado, slack, workspace, portfolio)


def config_text(
    box: Sandbox | None,
    data_dir: Path,
    *,
    store_url: str | None = None,
    health_port: int = 0,
    sync: str = "*/15 * * * *",
    digest: str = "0 9 * * mon",
    pat_env: str = "ADO_PAT",
    jira_token_env: str = "JIRA_API_TOKEN",
    slack_token_env: str = "SLACK_BOT_TOKEN",
    ado_parallelism: int = 4,
    baseline_threshold: str = "25",
) -> str:
    """A config for the sandbox (or with no sources and no Slack when `box` is None)."""
    lines = [
        "portfolio: {name: Runtime test, timezone: Europe/Berlin}",
        f"schedule: {{sync: '{sync}', digest: '{digest}'}}",
        f"store: {{data_dir: '{data_dir}'" + (f", url: '{store_url}'" if store_url else "") + "}",
        f"health: {{host: 127.0.0.1, port: {health_port}}}",
    ]
    if box is not None:
        states = ", ".join(f"'{status}': {state}" for status, state in ADO_MAPPING.items())
        statuses = ", ".join(f"'{status}': {state}" for status, state in JIRA_MAPPING.items())
        lines += [
            "themes:",
            "  - {key: cx, name: Customer Experience, target_share: 0.5, match: {tags: [CX]}}",
            "sources:",
            "  - kind: jira",
            "    name: jira",
            f"    url: {box.jira.url}",
            "    email_env: JIRA_EMAIL",
            f"    token_env: {jira_token_env}",
            "    jql: project = PORT AND issuetype in (Epic, Feature)",
            f"    statuses: {{{statuses}}}",
            "    timeout_seconds: 10",
            "    max_attempts: 1",
            "  - kind: azure_devops",
            "    name: ado",
            f"    organization_url: {box.ado_org_url}",
            "    project: Contoso",
            f"    pat_env: {pat_env}",
            f"    states: {{{states}}}",
            f"    parallelism: {ado_parallelism}",
            "    timeout_seconds: 10",
            "    max_attempts: 1",
            "notify:",
            "  slack:",
            f"    token_env: {slack_token_env}",
            f"    base_url: {box.slack_url}",
            f"    default_channel: {SLACK_CHANNEL}",
            "    timeout_seconds: 5",
            f"    baseline_threshold: {baseline_threshold}",
        ]
    return "\n".join(lines) + "\n"


def write_config(directory: Path, box: Sandbox | None, **options: Any) -> Path:
    path = directory / "lpmsync.yaml"
    path.write_text(config_text(box, directory / "data", **options), encoding="utf-8")
    return path


def base_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPMSYNC_")}
    return {**env, **SECRETS, "COLUMNS": "200", **(extra or {})}


@dataclass
class Service:
    """A running `lpmsync run`; its stderr JSON lines are collected as they arrive."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = WAIT
    ) -> dict[str, Any]:
        """The first (new) log entry matching `predicate`; fails if the process ends first."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out waiting for a log line:\n" + self.output())
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("lpmsync run ended early:\n" + self.output())
            self.lines.append(line)
            entry = parse(line)
            if entry is not None and predicate(entry):
                return entry

    def wait_for_message(self, text: str, timeout: float = WAIT) -> dict[str, Any]:
        return self.wait_for(lambda entry: text in str(entry.get("message", "")), timeout)

    def health_url(self) -> str:
        entry = self.wait_for_message("health and metrics on http://")
        return str(entry["message"]).split("on ", 1)[1].split(" ", 1)[0]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = WAIT) -> int:
        """Send `sig`, collect the rest of the output, return the exit code."""
        self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self.drain()
        return code

    def drain(self) -> None:
        while True:
            try:
                line = self._queue.get(timeout=5)
            except queue.Empty:
                return
            if line is None:
                return
            self.lines.append(line)

    def output(self) -> str:
        return "\n".join(self.lines)


def job_summary(job: str) -> Callable[[dict[str, Any]], bool]:
    """Matches the service's one line per job run (`cycle: ok`, `digest: failed (send failed)`),
    not the lines its steps log."""

    def matches(entry: dict[str, Any]) -> bool:
        message = str(entry.get("message", ""))
        return entry.get("logger") == "lpmsync.run" and message.startswith(f"{job}: ")

    return matches


cycle_done = job_summary("cycle")


def parse(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return None
    return entry if isinstance(entry, dict) else None


@contextmanager
def running(
    config: Path, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Iterator[Service]:
    """`lpmsync --log-format json run -c config *args`, killed at the end if still alive."""
    process = subprocess.Popen(
        [sys.executable, "-c", "from lpmsync.cli import main; main()", "--log-format", "json",
         "run", "-c", str(config), *args],
        env=base_env(env),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    service = Service(process)
    threading.Thread(target=service._pump, daemon=True).start()
    with ExitStack() as cleanup:
        cleanup.callback(_kill, process)
        yield service


def _kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=WAIT)
