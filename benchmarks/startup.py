"""`python -m benchmarks.startup [--config PATH] [--pythonpath DIR] [--callgrind]`: wall and
user CPU of `lpmsync --version`, `status` and `report`, each a fresh process, best of `--runs`.

`--pythonpath` runs another checkout's `lpmsync` package with this virtualenv (to compare with an
older commit: `git archive <commit> lpmsync | tar -x -C DIR`). `--callgrind` also counts each
command's instructions under valgrind: repeatable on a busy machine, where wall times are not.
The start-up target (≤ 0.35 s) is measured here, never asserted in tests;
tests/e2e/test_startup_imports.py asserts what is imported.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import LPMSYNC

COMMANDS = (["--version"], ["status"], ["report"])


def run_once(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    started = time.perf_counter()
    subprocess.run(
        [*LPMSYNC, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        check=False,
        timeout=120,
    )
    wall = time.perf_counter() - started
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before


def instructions(args: list[str], env: dict[str, str], cwd: Path) -> int:
    """Instructions one run executes, by `valgrind --tool=callgrind` (its summary on stderr)."""
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={scratch}/callgrind.out",
                *LPMSYNC,
                *args,
            ],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no callgrind summary: {done.stderr[-500:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup")
    parser.add_argument("--config", type=Path, help="config for status and report")
    parser.add_argument("--pythonpath", type=Path, help="another checkout's lpmsync to time")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--callgrind", action="store_true", help="also count instructions")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.pythonpath is not None:
        env["PYTHONPATH"] = str(args.pythonpath)
    cwd = args.config.parent if args.config else Path.cwd()
    for command in COMMANDS:
        full = command + (
            ["--config", str(args.config)] if args.config and command[0] != "--version" else []
        )
        run_once(full, env, cwd)  # warm the file cache (and migrate the store once)
        samples = [run_once(full, env, cwd) for _ in range(args.runs)]
        wall, user = min(s[0] for s in samples), min(s[1] for s in samples)
        line = f"lpmsync {' '.join(command)}: best wall {wall:.3f} s, best user CPU {user:.3f} s"
        if args.callgrind:
            line += f", {instructions(full, env, cwd) / 1e6:,.0f} M instructions"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
