"""Every sandbox personality at once, over one sample portfolio: what `lpmsync sandbox serve`
runs and what end-to-end tests and benchmarks start in-process.

Ports come in a fixed order from `port`: Jira Cloud, Jira Data Center, Azure DevOps, Slack
(port 0: each takes a free port). The Azure DevOps and Slack personalities are optional modules:
when one is not installed, the others still start and its port stays unused.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType

import yaml

from lpmsync.sandbox.generator import DEFAULT_NOW, SamplePortfolio, generate
from lpmsync.sandbox.generator_catalog import ADO_MAPPING, JIRA_MAPPING
from lpmsync.sandbox.http import Router, SandboxServer
from lpmsync.sandbox.jira import cloud as jira_cloud
from lpmsync.sandbox.jira import dc as jira_dc
from lpmsync.sandbox.knobs import Knobs

SANDBOX_EMAIL = "portfolio-bot@acme.example"
SANDBOX_TOKEN = "sandbox-token"
"""Fixed sandbox credentials (not secrets): Jira API token, Jira DC PAT and Azure DevOps PAT."""
ADO_ORGANIZATION = "contoso"
PORT_ORDER = ("jira-cloud", "jira-dc", "ado", "slack")


@dataclass
class Personality:
    """One running fake service: where it is and how to log in."""

    name: str
    title: str
    server: SandboxServer
    base_url: str
    credentials: dict[str, str]  # environment variable -> sandbox value
    detail: str

    @property
    def knobs(self) -> Knobs:
        return self.server.knobs


@dataclass
class RunningSandbox:
    """The started personalities; stop them with `stop()` or by leaving the `with` block."""

    portfolio: SamplePortfolio
    personalities: dict[str, Personality] = field(default_factory=dict)
    slack_workspace: object | None = None  # lpmsync.sandbox.slack.SlackWorkspace when present

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for personality in self.personalities.values():
            personality.server.stop()

    def credentials(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for personality in self.personalities.values():
            merged |= personality.credentials
        return merged

    def config_snippet(self) -> str:
        """`sources` and `notify.slack` for an lpmsync config pointing at this sandbox."""
        urls = {name: personality.base_url for name, personality in self.personalities.items()}
        return config_snippet(urls)


def start_sandbox(
    *,
    seed: int = 42,
    size: int | None = None,
    latency_ms: float = 0.0,
    port: int = 0,
    now: datetime = DEFAULT_NOW,
) -> RunningSandbox:
    """Generate the portfolio and start every available personality on 127.0.0.1."""
    portfolio = generate(seed, size, now)
    sandbox = RunningSandbox(portfolio)
    try:
        for offset, name in enumerate(PORT_ORDER):
            started = _start(name, sandbox, port + offset if port else 0, latency_ms)
            if started is not None:
                sandbox.personalities[name] = started
    except BaseException:
        sandbox.stop()
        raise
    return sandbox


def _start(name: str, sandbox: RunningSandbox, port: int, latency_ms: float) -> Personality | None:
    starters = {
        "jira-cloud": _start_jira_cloud,
        "jira-dc": _start_jira_dc,
        "ado": _start_ado,
        "slack": _start_slack,
    }
    return starters[name](sandbox, port, Knobs(latency_ms=latency_ms))


def _start_jira_cloud(sandbox: RunningSandbox, port: int, knobs: Knobs) -> Personality:
    dataset = sandbox.portfolio.jira_cloud
    router = jira_cloud.build_router(dataset, email=SANDBOX_EMAIL, token=SANDBOX_TOKEN)
    server = SandboxServer(router, port=port, knobs=knobs).start()
    credentials = {
        "LPMSYNC_SANDBOX_JIRA_EMAIL": SANDBOX_EMAIL,
        "LPMSYNC_SANDBOX_JIRA_TOKEN": SANDBOX_TOKEN,
    }
    detail = "project PORT, Basic auth"
    return Personality("jira-cloud", "Jira Cloud", server, server.url, credentials, detail)


def _start_jira_dc(sandbox: RunningSandbox, port: int, knobs: Knobs) -> Personality:
    router = jira_dc.build_router(sandbox.portfolio.jira_dc, pat=SANDBOX_TOKEN)
    server = SandboxServer(router, port=port, knobs=knobs).start()
    credentials = {"LPMSYNC_SANDBOX_JIRA_DC_TOKEN": SANDBOX_TOKEN}
    detail = "project ENT, Bearer PAT"
    return Personality("jira-dc", "Jira Data Center", server, server.url, credentials, detail)


def _optional(module: str) -> ModuleType | None:
    """A personality module that may not be there (built separately)."""
    if importlib.util.find_spec(module) is None:
        return None
    return importlib.import_module(module)


def _start_ado(sandbox: RunningSandbox, port: int, knobs: Knobs) -> Personality | None:
    ado = _optional("lpmsync.sandbox.azure_devops.routes")
    if ado is None:
        return None
    portfolio = sandbox.portfolio
    router: Router = ado.build_router(
        portfolio.ado, pat=SANDBOX_TOKEN, organization=ADO_ORGANIZATION
    )
    server = SandboxServer(router, port=port, knobs=knobs).start()
    base_url = f"{server.url}/{ADO_ORGANIZATION}"
    credentials = {"LPMSYNC_SANDBOX_ADO_PAT": SANDBOX_TOKEN}
    return Personality("ado", "Azure DevOps", server, base_url, credentials, "project Contoso, PAT")


def _start_slack(sandbox: RunningSandbox, port: int, knobs: Knobs) -> Personality | None:
    slack = _optional("lpmsync.sandbox.slack")
    if slack is None:
        return None
    workspace = slack.SlackWorkspace()
    server = SandboxServer(workspace.router, port=port, knobs=knobs).start()
    sandbox.slack_workspace = workspace
    base_url = slack.slack_base_url(server.url)
    credentials = {
        "LPMSYNC_SANDBOX_SLACK_TOKEN": str(workspace.token),
        "LPMSYNC_SANDBOX_SLACK_APP_TOKEN": str(workspace.interactive.app_token),  # Socket Mode
    }
    return Personality(
        "slack", "Slack", server, base_url, credentials, "channel C0PORTFOLIO, bot token"
    )


_JIRA_FIELDS = {
    "theme": "Strategic Theme",
    "estimate": "Story Points",
    "wsjf": {
        "business_value": "Business Value",
        "time_criticality": "Time Criticality",
        "risk_reduction": "Risk Reduction",
        "job_size": "Job Size",
    },
    "value_stream": {"source": "component"},
}
_ADO_FIELDS = {
    "theme": "Custom.StrategicTheme",
    "estimate": "Microsoft.VSTS.Scheduling.Effort",
    "wsjf": {
        "business_value": "Microsoft.VSTS.Common.BusinessValue",
        "time_criticality": "Microsoft.VSTS.Common.TimeCriticality",
        "risk_reduction": "Custom.RiskReduction",
        "job_size": "Custom.JobSize",
    },
    "value_stream": {"area_path_depth": 2},
}


def config_snippet(urls: dict[str, str]) -> str:
    """YAML `sources` and `notify.slack` for the personalities at `urls` (by name)."""
    sources = [
        source
        for source in (
            _jira_source(urls.get("jira-cloud"), cloud=True),
            _jira_source(urls.get("jira-dc"), cloud=False),
            _ado_source(urls.get("ado")),
        )
        if source is not None
    ]
    snippet: dict[str, object] = {"sources": sources}
    if "slack" in urls:
        slack = {
            "token_env": "LPMSYNC_SANDBOX_SLACK_TOKEN",
            "base_url": urls["slack"],
            "default_channel": "C0PORTFOLIO",
        }
        snippet["notify"] = {"slack": slack}
    return yaml.dump(snippet, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


class _PlainDumper(yaml.SafeDumper):
    """Writes shared values out in full: a config snippet has no use for YAML anchors."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _jira_source(url: str | None, *, cloud: bool) -> dict[str, object] | None:
    if url is None:
        return None
    source: dict[str, object] = {"kind": "jira", "name": "jira-cloud" if cloud else "jira-dc"}
    source["url"] = url
    if cloud:
        source["deployment"] = "cloud"
        source["email_env"] = "LPMSYNC_SANDBOX_JIRA_EMAIL"
        source["token_env"] = "LPMSYNC_SANDBOX_JIRA_TOKEN"
    else:
        source["deployment"] = "datacenter"
        source["token_env"] = "LPMSYNC_SANDBOX_JIRA_DC_TOKEN"
    project = "PORT" if cloud else "ENT"
    source["jql"] = f"project = {project} AND issuetype in (Epic, Feature)"
    source["statuses"] = JIRA_MAPPING
    source["fields"] = _JIRA_FIELDS if cloud else {**_JIRA_FIELDS, "epic_link": "Epic Link"}
    return source


def _ado_source(url: str | None) -> dict[str, object] | None:
    if url is None:
        return None
    return {
        "kind": "azure_devops",
        "name": "ado",
        "organization_url": url,
        "project": "Contoso",
        "pat_env": "LPMSYNC_SANDBOX_ADO_PAT",
        "states": ADO_MAPPING,
        "fields": _ADO_FIELDS,
    }
