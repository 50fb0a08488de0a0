"""The sandbox Jira (Cloud or Data Center) running on loopback, and connectors configured for it.

(No tests here; test_jira_sync imports these helpers.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from lpmsync.connectors.jira.connector import JiraConnector
from lpmsync.connectors.registry import ConnectorContext
from lpmsync.sandbox.dataset import Dataset
from lpmsync.sandbox.generator import DEFAULT_NOW, generate
from lpmsync.sandbox.generator_catalog import JIRA_MAPPING
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.jira import cloud as jira_cloud
from lpmsync.sandbox.jira import dc as jira_dc
from lpmsync.sandbox.knobs import Knobs
from lpmsync.settings import JiraSource

NOW = DEFAULT_NOW
EMAIL, TOKEN = "portfolio-bot@acme.example", "sandbox-jira-token-1234"


class Clock:
    """The sync service's clock, stepped by the tests."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Sandbox:
    def __init__(self, deployment: str, data: Dataset, server: SandboxServer) -> None:
        self.deployment = deployment
        self.data = data
        self.server = server
        self.clock = Clock()
        self.sleeps: list[float] = []
        self.mapping = dict(JIRA_MAPPING)
        first = next(iter(data))
        self.id_base = first.id - int(first.key.rsplit("-", 1)[1])

    @property
    def url(self) -> str:
        return self.server.url

    def connector(
        self,
        *,
        name: str = "jira",
        token: str = TOKEN,
        parallelism: int = 4,
        removal_check_interval: str = "1h",
    ) -> JiraConnector:
        cloud = self.deployment == "cloud"
        config = JiraSource.model_validate(
            {
                "kind": "jira",
                "name": name,
                "url": self.url,
                "deployment": self.deployment,
                "email_env": "JIRA_EMAIL" if cloud else None,
                "token_env": "JIRA_TOKEN",
                "jql": f"project = {self.data.project} AND issuetype in (Epic, Feature)",
                "statuses": self.mapping,
                "fields": {
                    "theme": "Strategic Theme",
                    "estimate": "Story Points",
                    "wsjf": {
                        "business_value": "Business Value",
                        "time_criticality": "Time Criticality",
                        "risk_reduction": "Risk Reduction",
                        "job_size": "Job Size",
                    },
                },
                "parallelism": parallelism,
                "max_attempts": 4,
                "removal_check_interval": removal_check_interval,
            }
        )
        context = ConnectorContext(
            data_dir=Path("/nonexistent"),
            environ={"JIRA_EMAIL": EMAIL, "JIRA_TOKEN": token},
            sleep=self.sleeps.append,
        )
        return JiraConnector.from_config(config, context)

    def counts(self) -> Counter[str]:
        return Counter(f"{e.method} {e.path}" for e in self.server.log.entries)


def sandbox_for(
    deployment: str, *, max_results_cap: int | None = None, size: int | None = None, **knobs: Any
) -> Iterator[Sandbox]:
    """A running sandbox over a fresh default portfolio (use with `for` or `yield from`)."""
    portfolio = generate(size=size)
    if deployment == "cloud":
        data = portfolio.jira_cloud
        router = jira_cloud.build_router(data, email=EMAIL, token=TOKEN)
    else:
        data = portfolio.jira_dc
        cap = {"max_results_cap": max_results_cap} if max_results_cap else {}
        router = jira_dc.build_router(data, pat=TOKEN, **cap)
    with SandboxServer(router, knobs=Knobs(**knobs)) as server:
        yield Sandbox(deployment, data, server)
