"""Measuring: repeated runs, median/min/max, machine facts, and the results files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

# `lpmsync` as a fresh process of this interpreter (its virtualenv, or a `PYTHONPATH` checkout).
LPMSYNC = (sys.executable, "-c", "from lpmsync.cli import main; main()")

PACKAGES = ("lpmsync", "jira", "azure-devops", "msrest", "slack-sdk", "sqlalchemy", "matplotlib")


@dataclass
class Sample:
    seconds: float
    requests: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Case:
    """One measured case: a name, its samples, and what it is compared with."""

    group: str
    name: str
    samples: list[Sample]
    floor: int | None = None  # the request floor from DESIGN.md, where one applies
    target: str = ""  # the target in words, e.g. "≥ 5x baseline"
    verdict: str = ""  # met / MISSED (why) / n/a
    unit: str = "s"  # what the samples' `seconds` hold: seconds, or e.g. "µs/item"

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def minimum(self) -> float:
        return min(s.seconds for s in self.samples)

    @property
    def maximum(self) -> float:
        return max(s.seconds for s in self.samples)

    @property
    def requests(self) -> int | None:
        counts = {s.requests for s in self.samples}
        return counts.pop() if len(counts) == 1 else max(c for c in counts if c is not None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(median=self.median, min=self.minimum, max=self.maximum, requests=self.requests)
        return data


def measure(
    run: Callable[[], Sample], runs: int, *, setup: Callable[[], None] | None = None
) -> list[Sample]:
    samples = []
    for _ in range(runs):
        if setup is not None:
            setup()
        samples.append(run())
    return samples


def timed(function: Callable[[], int | None]) -> Sample:
    """Time one call; the function returns the request count (or None)."""
    started = time.perf_counter()
    requests = function()
    return Sample(time.perf_counter() - started, requests)


def machine() -> dict[str, Any]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "commit": _git_commit(),
        # Other work on the machine slows every number (the CPU is shared): said with them.
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "versions": versions,
    }


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write_results(cases: list[Case], out_dir: Path, settings: dict[str, Any]) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    facts = machine()
    json_path = out_dir / "results.json"
    json_path.write_text(
        json.dumps(
            {"machine": facts, "settings": settings, "cases": [c.to_json() for c in cases]},
            indent=2,
            default=str,
        )
    )
    md_path = out_dir / "results.md"
    md_path.write_text(render_markdown(cases, facts, settings))
    return md_path, json_path


def render_markdown(cases: list[Case], facts: dict[str, Any], settings: dict[str, Any]) -> str:
    lines = [
        "# lpmsync benchmark results",
        "",
        f"Machine: {facts['platform']}, {facts['cpus']} CPUs, {facts['memory_gib']} GiB, "
        f"Python {facts['python']}, commit {facts['commit']}; load average "
        f"{' / '.join(str(x) for x in facts['load_average'])} (1 / 5 / 15 min) when written.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in facts["versions"].items()) + ".",
        "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()) + ".",
        "Times are seconds: median of the runs, then min and max.",
        "",
    ]
    for group in dict.fromkeys(c.group for c in cases):
        unit = next(c.unit for c in cases if c.group == group)
        lines += [
            f"## {group}",
            "",
            f"| case | median {unit} | min {unit} | max {unit} | requests | floor | target "
            "| verdict |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for c in (c for c in cases if c.group == group):
            requests = "" if c.requests is None else str(c.requests)
            floor = "" if c.floor is None else str(c.floor)
            digits = 3 if c.unit == "s" else 0
            lines.append(
                f"| {c.name} | {c.median:.{digits}f} | {c.minimum:.{digits}f} | "
                f"{c.maximum:.{digits}f} | "
                f"{requests} | {floor} | {c.target} | {c.verdict} |"
            )
        lines.append("")
    return "\n".join(lines)
