"""Full and incremental sync: lpmsync against the naive baselines, on the same sandbox."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from benchmarks import baselines
from benchmarks.external import counting_requests, external_sandbox
from benchmarks.harness import Case, Sample, timed
from benchmarks.sandbox_rig import ENVIRON, Rig, rig, source_configs
from lpmsync.connectors.registry import ConnectorContext, build_connector
from lpmsync.sandbox.http import SandboxServer
from lpmsync.services.sync import SourceSummary, sync_source
from lpmsync.store import SqlStore, open_store

DISCOVERY = ("serverInfo", "/field", "ResourceAreas", "OPTIONS")


def floor(source: str, n: int, dc_page: int = 1000) -> int:
    """The request floor from DESIGN.md's performance model (discovery excluded)."""
    if source == "jira-cloud":
        return math.ceil(n / 5000) + math.ceil(n / 100) + math.ceil(n / 1000)
    if source == "ado":
        return math.ceil(n / 20000) + math.ceil(n / 200)
    return math.ceil(n / dc_page)


def data_requests(server: SandboxServer) -> int:
    """Requests excluding one-time discovery (server info, field list, SDK location lookups)."""
    return sum(
        n
        for endpoint, n in server.log.counts().items()
        if not any(marker in endpoint for marker in DISCOVERY)
    )


class LpmsyncSync:
    """One store and one connector per source, as `lpmsync sync` would hold them."""

    def __init__(
        self, urls: dict[str, str], source: str, parallelism: int | None, work_dir: Path
    ) -> None:
        self.source = source
        self.config = source_configs(urls, parallelism)[source]
        self.work_dir = work_dir
        self.store: SqlStore | None = None

    def fresh_store(self) -> SqlStore:
        if self.store is not None:
            self.store.close()
        path = Path(tempfile.mkdtemp(dir=self.work_dir)) / "bench.db"
        self.store = open_store(f"sqlite:///{path}")
        return self.store

    def full_sync(self) -> int:
        """A full sync into a fresh store; the items it added."""
        return self.run(full=True, store=self.fresh_store()).added

    def run(self, *, full: bool, store: SqlStore | None = None) -> SourceSummary:
        target = store or self.store or self.fresh_store()
        context = ConnectorContext(data_dir=self.work_dir, environ=ENVIRON)
        connector = build_connector(self.config, context)
        try:
            summary = sync_source(target, connector, lambda: datetime.now(UTC), full=full)
        finally:
            connector.close()
        if summary.status != "ok":
            raise RuntimeError(f"benchmark sync of {self.source} failed: {summary.error}")
        return summary


def _server(current: Rig, source: str) -> SandboxServer:
    return {"jira-cloud": current.cloud, "jira-dc": current.dc, "ado": current.ado}[source]


def _baseline(urls: dict[str, str], source: str) -> Callable[[], int]:
    if source == "jira-cloud":
        return lambda: baselines.jira_cloud(urls[source], "project = PORT ORDER BY key ASC")
    if source == "jira-dc":
        return lambda: baselines.jira_dc(urls[source], "project = ENT ORDER BY key ASC")
    return lambda: baselines.azure_devops(urls[source], "Contoso")


def full_sync_cases(
    n: int, latency_ms: float, runs: int, parallelism: int | None, work_dir: Path
) -> list[Case]:
    """Against the sandbox in its own process, requests counted on the client side.

    Each side syncs once untimed first (imports, the SDK's discovery cache, and the sandbox's
    one-time indexing of its data, which would otherwise land on whichever side ran first), then
    the two alternate, so a change in the machine's load falls on both."""
    cases: list[Case] = []
    with external_sandbox(n, latency_ms) as sandbox:
        for source in ("jira-cloud", "jira-dc", "ado"):
            levels = _parallelism_levels(source, n, parallelism)
            ours = [LpmsyncSync(sandbox.urls, source, level, work_dir) for level in levels]
            configured = ours[0].config.parallelism
            baseline = _baseline(sandbox.urls, source)
            for sync in ours:
                sync.full_sync()
            baseline()
            mine: list[list[Sample]] = [[] for _ in levels]
            theirs: list[Sample] = []
            for _ in range(runs):
                for sync, samples in zip(ours, mine, strict=True):
                    samples.append(_counted(sync.full_sync))
                theirs.append(_counted(baseline))
            base = Case("Full sync", f"{source} N={n} baseline", theirs)
            for sync, samples in zip(ours, mine, strict=True):
                level = sync.config.parallelism
                cases.append(
                    _full_case(source, n, level, samples, base.median, configured=configured)
                )
            cases.append(base)
    return cases


def _parallelism_levels(source: str, n: int, parallelism: int | None) -> list[int | None]:
    """The parallelism asked for (None: each source's default, 8 in flight for Jira Cloud and
    Azure DevOps); for the 5x cases also 4 in flight, the gentler setting, for comparison (each
    side still alternates with the same baseline runs)."""
    targeted = n >= 10_000 and source != "jira-dc"
    return [parallelism, 4] if targeted and parallelism in (None, 8) else [parallelism]


def _full_case(
    source: str, n: int, level: int, samples: list[Sample], base: float, *, configured: int
) -> Case:
    name = f"{source} N={n} lpmsync (parallelism {level})"
    case = Case("Full sync", name, samples, floor=floor(source, n))
    ratio = base / case.median
    case.target = f"baseline/lpmsync = {ratio:.1f}x"
    if level != configured:
        case.verdict = f"for comparison; the target is judged at {configured} in flight"
        return case
    case.verdict = _full_verdict(source, n, ratio, case.requests, case.floor)
    if case.verdict.startswith("MISSED"):
        case.verdict += f"; why: {SPEED_MISS.format(level=level)}"
    return case


def _counted(function: Callable[[], int | None]) -> Sample:
    with counting_requests() as counter:
        sample = timed(function)
    sample.extra["items"] = sample.requests
    sample.requests = counter.data_requests(DISCOVERY)
    sample.extra["requests_with_discovery"] = counter.total()
    return sample


def _changed_in_incremental(ours: LpmsyncSync) -> int:
    return ours.run(full=False).changed


def _measured(server: SandboxServer, function: Callable[[], int | None]) -> Sample:
    server.log.clear()
    sample = timed(function)
    sample.extra["items"] = sample.requests
    sample.requests = data_requests(server)
    sample.extra["requests_with_discovery"] = server.log.total()
    return sample


def _full_verdict(
    source: str, n: int, ratio: float, requests: int | None, floor_: int | None
) -> str:
    at_floor = requests is not None and floor_ is not None and requests <= floor_
    floor_text = "at floor" if at_floor else f"{requests} requests vs floor {floor_}"
    if n < 10_000 or source == "jira-dc":
        return floor_text + " (no speed target for this case)"
    met = ratio >= 5 and at_floor
    return ("met: " if met else "MISSED: ") + f"{ratio:.1f}x (target ≥ 5x), {floor_text}"


# Why a target is missed, in the results themselves (see benchmarks/README.md for the analysis).
SPEED_MISS = (
    "requests are at the floor and {level} run at a time, so the network part is at best "
    "~{level}x shorter than the baseline's one-at-a-time requests (Azure DevOps: the WIQL query, "
    "then waves of {level} batches, each wave about 55-60 ms); mapping and committing overlap the "
    "fetches (pages are committed on a thread of their own) but share the interpreter lock and "
    "the two cores with the fetch threads and the tracker (here the sandbox)"
)
LISTING_MISS = {
    "jira-cloud": "the approximate count disagreed with the store, or the last listing is older "
    "than removal_check_interval, so every key was listed (ceil(N/5000) requests more)",
    "jira-dc": "the search total disagreed with the store, or the last listing is older than "
    "removal_check_interval, so every key was listed (ceil(N/1000) requests more)",
}


def incremental_cases(
    n: int, latency_ms: float, runs: int, parallelism: int | None, work_dir: Path
) -> list[Case]:
    cases: list[Case] = []
    with rig(n, latency_ms) as current:
        for source in ("jira-cloud", "jira-dc", "ado"):
            server = _server(current, source)
            ours = LpmsyncSync(current.urls, source, parallelism, work_dir)
            ours.run(full=True, store=ours.fresh_store())
            ours.run(full=False)  # settle: the first incremental run may pick up history tokens
            unchanged = [
                _measured(server, partial(_changed_in_incremental, ours)) for _ in range(runs)
            ]
            case = Case("Incremental sync", f"{source} N={n} nothing changed", unchanged)
            case.target = "≤ 2 requests"
            case.verdict = (
                "met"
                if (case.requests or 0) <= 2
                else f"MISSED: {case.requests} requests; {LISTING_MISS.get(source, '')}"
            )
            changed = []
            for run in range(runs):
                dataset = _dataset(current, source)
                at = datetime.now(UTC) + timedelta(minutes=run + 1)
                current.portfolio.progress(dataset, at=at, count=max(1, n // 100), seed=run)
                changed.append(_measured(server, partial(_changed_in_incremental, ours)))
            cases += [case, Case("Incremental sync", f"{source} N={n} 1% changed", changed)]
    return cases


def _dataset(current: Rig, source: str):  # type: ignore[no-untyped-def]
    portfolio = current.portfolio
    return {"jira-cloud": portfolio.jira_cloud, "jira-dc": portfolio.jira_dc, "ado": portfolio.ado}[
        source
    ]
