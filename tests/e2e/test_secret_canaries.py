"""Canary secrets echoed by a tracker never leave the process: a proxy in front of Jira that
reflects the Authorization header in its error body, and a tracker URL with a password, leave
no trace in CLI output, `runs.error`, `status` (table and JSON) or Slack text."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lpmsync.domain.alerts import MessageKind, OutgoingMessage
from lpmsync.domain.findings import JsonValue
from lpmsync.notify.slack import SlackSender, slack_client
from lpmsync.redact import register_basic_auth, register_secrets
from lpmsync.sandbox.http import Handler, Request, Response, Router, SandboxServer
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from tests.e2e.cli_helpers import run_cli
from tests.e2e.test_run_helpers import JIRA_EMAIL, Sandbox, base_env, sandbox, write_config

JIRA_CANARY = "canary-jira-token-5b7e"
URL_PASSWORD = "canary-url-pw-31"
BASIC = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_CANARY}".encode()).decode()


class EchoingProxy(Router):
    """Answers every request with a 400 whose body quotes the request's Authorization header
    and the raw token, as a misconfigured proxy or a chatty gateway would."""

    def __init__(self) -> None:
        super().__init__("echo")

    def wrap(self, router: Router) -> EchoingProxy:
        self.name = router.name
        return self

    def resolve(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        return f"{method} {path}", self._echo, {}

    def _echo(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        body = {"errorMessages": [f"proxy refused Authorization: {header}", JIRA_CANARY]}
        return Response(400, body)


@contextmanager
def echoing_jira() -> Iterator[tuple[Sandbox, Path]]:
    proxy = EchoingProxy()
    with sandbox() as box, SandboxServer(proxy.wrap(box.jira.router)) as echo:
        yield box, Path(echo.url)


def test_an_echoed_credential_never_reaches_output_runs_or_status(tmp_path: Path) -> None:
    with echoing_jira() as (box, echo_url):
        config = write_config(tmp_path, box)
        text = config.read_text(encoding="utf-8")
        with_password = str(echo_url).replace("http://", f"http://admin:{URL_PASSWORD}@", 1)
        config.write_text(text.replace(box.jira.url, with_password), encoding="utf-8")
        env = base_env({"JIRA_API_TOKEN": JIRA_CANARY})

        synced = run_cli("sync", "--config", str(config), env=env)
        status = run_cli("status", "--config", str(config), env=env)
        as_json = run_cli("status", "--format", "json", "--config", str(config), env=env)

    database = sqlite3.connect(tmp_path / "data" / "lpmsync.db")
    errors = [row[0] for row in database.execute("SELECT error FROM runs") if row[0]]
    database.close()
    assert any("proxy refused Authorization: [REDACTED]" in error for error in errors)
    exits = [synced.stdout + synced.stderr, status.stdout + status.stderr, as_json.stdout, *errors]
    assert "proxy refused" in synced.stdout + synced.stderr
    for text in exits:
        for canary in (JIRA_CANARY, BASIC, BASIC.rstrip("="), URL_PASSWORD):
            assert canary not in text


def test_slack_text_and_blocks_are_redacted(tmp_path: Path) -> None:
    register_secrets([JIRA_CANARY])
    register_basic_auth(JIRA_EMAIL, JIRA_CANARY)
    workspace = SlackWorkspace()
    leaked = f"token {JIRA_CANARY} via http://bot:{URL_PASSWORD}@proxy.test Basic {BASIC}"
    with SandboxServer(workspace.router) as slack:
        client = slack_client(SANDBOX_TOKEN, base_url=slack_base_url(slack.url), timeout_seconds=5)
        block: dict[str, JsonValue] = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": leaked},
        }
        message = OutgoingMessage(MessageKind.POST, "C0PORTFOLIO", leaked, "k", blocks=(block,))
        SlackSender(client).send(message)
    [posted] = workspace.messages()
    shown = f"{posted.text} {posted.blocks}"
    assert "[REDACTED]" in shown
    for canary in (JIRA_CANARY, BASIC, URL_PASSWORD):
        assert canary not in shown
