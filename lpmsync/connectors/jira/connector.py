"""The Jira connector (Cloud and Data Center): `JiraConnector.from_config(config, context)`.

Building a connector sends nothing (so one unreachable site cannot stop the others from being
built). A full sync discovers the site: `serverInfo` (is it the deployment the config says?) and,
when the config names fields, the field list, both at once; the ids found are kept with the
cursor, so later incremental syncs, even from a new process, send only their searches. See
docs/jira.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lpmsync.connectors.context import ConnectorContext
from lpmsync.connectors.jira.cloud import CloudFetcher
from lpmsync.connectors.jira.cursor import Mode, Plan, fingerprint, make_plan
from lpmsync.connectors.jira.dc import DataCenterFetcher
from lpmsync.connectors.jira.fetch import Fetcher
from lpmsync.connectors.jira.fields import needs_field_list, resolve
from lpmsync.connectors.jira.http import JiraAuth, JiraHttp
from lpmsync.connectors.jira.jql import reading
from lpmsync.connectors.jira.mapping import FieldIds, MappingConfig
from lpmsync.connectors.jira.pages import PageBuilder
from lpmsync.connectors.jira.structs import layout_for
from lpmsync.connectors.pacing import Pacer
from lpmsync.connectors.retry import RetryableError, RetryPolicy
from lpmsync.domain.sync import SyncPage, SyncRequest
from lpmsync.errors import ConfigError, FatalConnectorError
from lpmsync.settings import JiraSource, read_secret

log = logging.getLogger("lpmsync.connectors.jira")

_DEPLOYMENT_TYPES = {"cloud": {"Cloud"}, "datacenter": {"Server", "DataCenter", "Data Center"}}


class JiraConnector:
    """One configured Jira site and JQL scope."""

    def __init__(self, config: JiraSource, http: JiraHttp) -> None:
        self._config = config
        self._http = http
        self._fetcher: Fetcher | None = None
        self._mapping: MappingConfig | None = None
        self._config_id = fingerprint(
            {
                "url": str(config.url),
                "deployment": config.deployment,
                "jql": config.jql,
                "issue_types": {name: level.value for name, level in config.issue_types.items()},
                "statuses": dict(config.statuses),
                "fields": config.fields.model_dump(mode="json"),
            }
        )

    @classmethod
    def from_config(cls, config: JiraSource, context: ConnectorContext) -> JiraConnector:
        prefix = f"sources.{config.name}"
        token = read_secret(config.token_env, context.environ, key=f"{prefix}.token_env")
        email: str | None = None
        if config.deployment == "cloud":
            if not config.email_env:
                raise ConfigError(
                    "Jira Cloud needs email_env (Basic auth is e-mail + API token)",
                    key=f"{prefix}.email_env",
                )
            secret = read_secret(config.email_env, context.environ, key=f"{prefix}.email_env")
            email = secret.get_secret_value()
        env_names = tuple(name for name in (config.email_env, config.token_env) if name)
        policy = RetryPolicy(
            max_attempts=config.max_attempts,
            sleep=context.sleep or time.sleep,
            on_retry=lambda attempt, wait, error: _log_retry(config.name, attempt, wait, error),
            pacer=Pacer(config.parallelism, source=config.name),
        )
        http = JiraHttp(
            source=config.name,
            url=str(config.url),
            auth=JiraAuth(token.get_secret_value(), email, env_names),
            timeout=config.timeout_seconds,
            policy=policy,
            pool_size=config.parallelism + 2,
        )
        return cls(config, http)

    @property
    def source(self) -> str:
        return self._config.name

    @property
    def requests_made(self) -> int:
        return self._http.requests_made

    def close(self) -> None:
        self._http.close()

    def pages(self, request: SyncRequest) -> Iterator[SyncPage]:
        """Pages in commit order; the last one carries the scope and the new watermark."""
        reported = self._http.requests_made
        plan = make_plan(request, self._config_id)
        fetcher, mapping = self._discover(plan)
        zone_name, overlap = self._config.jql_time_zone, self._config.overlap_minutes
        since = plan.since
        literal = (
            reading(zone_name, plan.previous.utc_offset, overlap).literal(since)
            if since is not None
            else None
        )
        log.info("source %s: %s sync (since %s)", self.source, plan.mode.value, literal)
        builder = PageBuilder(
            plan,
            mapping,
            lambda offset: reading(zone_name, offset, overlap).read_back_minutes,
            lambda: self._http.requests_made,
            reported,
        )
        for event in fetcher.run(plan, literal):
            page = builder.handle(event)
            if page is not None:
                yield page
        yield builder.final()

    def _discover(self, plan: Plan) -> tuple[Fetcher, MappingConfig]:
        """Field ids and fetcher, once per connector: remembered in the cursor by an earlier
        run (incremental syncs of a new process send nothing for them), else asked for."""
        if self._fetcher is not None and self._mapping is not None:
            return self._fetcher, self._mapping
        config, http = self._config, self._http
        previous = plan.previous
        remembered = FieldIds.from_json(previous.fields) if plan.mode is not Mode.FULL else None
        if remembered is not None and previous.site:
            field_ids, site = remembered, previous.site
        else:
            site, field_ids = self._site_and_fields()
        self._mapping = MappingConfig(
            source=config.name,
            base_url=site,
            issue_types=config.issue_types,
            statuses=config.statuses,
            fields=field_ids,
            value_stream_source=config.fields.value_stream.source,
            value_stream_prefix=config.fields.value_stream.prefix,
        )
        fetcher_class = CloudFetcher if config.deployment == "cloud" else DataCenterFetcher
        self._fetcher = fetcher_class(
            http,
            config.jql,
            layout_for(field_ids),
            config.parallelism,
            config.removal_check_interval or None,  # 0: list on every sync
        )
        return self._fetcher, self._mapping

    def _site_and_fields(self) -> tuple[str, FieldIds]:
        """`serverInfo` and the field list, both in flight at once (one round trip, not two);
        a wrong site is reported before any field error."""
        config, http = self._config, self._http
        if not needs_field_list(config):
            return self._check_site(http.server_info()), resolve(config, [])
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lpmsync-discover") as pool:
            catalogue = pool.submit(http.fields)
            site = self._check_site(http.server_info())
            return site, resolve(config, catalogue.result())

    def _check_site(self, info: Mapping[str, Any]) -> str:
        """The base URL items link to (Jira's own `baseUrl`: right behind a proxy or the Cloud
        API gateway); refuses a site of the other deployment than the config says."""
        expected = _DEPLOYMENT_TYPES[self._config.deployment]
        deployment_type = info.get("deploymentType")
        if isinstance(deployment_type, str) and deployment_type not in expected:
            raise FatalConnectorError(
                f"{self._config.url} is a Jira {deployment_type} site but the source says "
                f"deployment: {self._config.deployment}",
                source=self.source,
            )
        base = info.get("baseUrl")
        if isinstance(base, str) and base.startswith(("https://", "http://")):
            return base.rstrip("/")
        return str(self._config.url).rstrip("/")


def _log_retry(source: str, attempt: int, wait: float, error: RetryableError) -> None:
    log.warning("source %s: %s; retry %d in %.1fs", source, error, attempt, wait)
