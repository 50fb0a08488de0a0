"""The benchmark rig: the sandbox's three tracker personalities over one sample portfolio."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lpmsync.sandbox.azure_devops import routes as ado
from lpmsync.sandbox.generator import SamplePortfolio, generate
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.jira import cloud as jira_cloud
from lpmsync.sandbox.jira import dc as jira_dc
from lpmsync.sandbox.knobs import Knobs
from lpmsync.sandbox.serve import SANDBOX_EMAIL, SANDBOX_TOKEN
from lpmsync.sandbox.slack_views import SANDBOX_APP_TOKEN
from lpmsync.settings import AzureDevOpsSource, JiraSource, load_settings

DEMO_CONFIG = Path(__file__).parents[1] / "lpmsync" / "sandbox" / "demo.yaml"
# The same fixed credentials as `lpmsync sandbox serve`, so in-process and external rigs agree.
EMAIL, TOKEN, PAT = SANDBOX_EMAIL, SANDBOX_TOKEN, SANDBOX_TOKEN
ENVIRON = {
    "LPMSYNC_SANDBOX_JIRA_EMAIL": EMAIL,
    "LPMSYNC_SANDBOX_JIRA_TOKEN": TOKEN,
    "LPMSYNC_SANDBOX_ADO_PAT": PAT,
    "LPMSYNC_SANDBOX_SLACK_TOKEN": "xoxb-sandbox-token",
    "LPMSYNC_SANDBOX_SLACK_APP_TOKEN": SANDBOX_APP_TOKEN,  # the demo config's Slack app
    "LPMSYNC_BENCH_DC_PAT": PAT,
}


@dataclass
class Rig:
    portfolio: SamplePortfolio
    cloud: SandboxServer
    dc: SandboxServer
    ado: SandboxServer

    @property
    def urls(self) -> dict[str, str]:
        return {
            "jira-cloud": self.cloud.url,
            "jira-dc": self.dc.url,
            "ado": f"{self.ado.url}/contoso",
        }

    def servers(self) -> list[SandboxServer]:
        return [self.cloud, self.dc, self.ado]

    def clear_logs(self) -> None:
        for server in self.servers():
            server.log.clear()


@contextmanager
def rig(size: int, latency_ms: float, seed: int = 42) -> Iterator[Rig]:
    portfolio = generate(seed=seed, size=size)
    servers = [
        SandboxServer(
            jira_cloud.build_router(portfolio.jira_cloud, email=EMAIL, token=TOKEN),
            knobs=Knobs(latency_ms=latency_ms),
        ),
        SandboxServer(
            jira_dc.build_router(portfolio.jira_dc, pat=PAT), knobs=Knobs(latency_ms=latency_ms)
        ),
        SandboxServer(ado.build_router(portfolio.ado, pat=PAT), knobs=Knobs(latency_ms=latency_ms)),
    ]
    for server in servers:
        server.start()
    try:
        yield Rig(portfolio, *servers)
    finally:
        for server in servers:
            server.stop()


def source_configs(urls: dict[str, str], parallelism: int | None = None) -> dict[str, Any]:
    """The demo's source configs, pointed at these sandbox URLs (plus a Jira DC source);
    `parallelism` None keeps each source's default (as `lpmsync sync` would run it)."""
    settings = load_settings(DEMO_CONFIG, ENVIRON)
    by_kind = {source.name: source for source in settings.sources}
    cloud = by_kind["jira-cloud"]
    assert isinstance(cloud, JiraSource)
    azure = by_kind["ado"]
    assert isinstance(azure, AzureDevOpsSource)
    in_flight = {} if parallelism is None else {"parallelism": parallelism}
    dc = JiraSource.model_validate(
        {
            **cloud.model_dump(mode="json", exclude={"removal_check_interval", "parallelism"}),
            "removal_check_interval": cloud.removal_check_interval,
            "name": "jira-dc",
            "url": urls["jira-dc"],
            "deployment": "datacenter",
            "email_env": None,
            "token_env": "LPMSYNC_BENCH_DC_PAT",
            "jql": "project = ENT AND issuetype in (Epic, Feature)",
            **in_flight,
        }
    )
    return {
        "jira-cloud": cloud.model_copy(update={"url": urls["jira-cloud"], **in_flight}),
        "jira-dc": dc,
        "ado": azure.model_copy(
            # Like for like with the baseline, which reads no history: the history's first-sync
            # cost (revision pages) is documented in docs/azure-devops.md and pinned by tests.
            update={
                "organization_url": urls["ado"],
                "history_backfill": False,
                **in_flight,
            }
        ),
    }
