"""The wheel as someone without a checkout meets it: built from this tree, installed into a
throwaway venv, `lpmsync --version` and `lpmsync demo` run from an empty directory."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def build_wheel(dist: Path) -> Path:
    """The wheel `python -m build` / `uv build` make, built by the same backend (uv_build,
    through its PEP 517 hook, offline; the hook runs the `uv-build` binary beside Python)."""
    dist.mkdir(parents=True)
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    subprocess.run(
        [sys.executable, "-c", "import sys, uv_build; uv_build.build_wheel(sys.argv[1])", dist],
        cwd=ROOT,
        env={**os.environ, "PATH": path},
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("lpmsync-*.whl")
    return wheel


def install_into_throwaway_venv(wheel: Path, where: Path) -> Path:
    """A fresh venv holding the wheel; its dependencies are read from this test's environment
    (no network in tests). That directory goes in as a plain path line, so its .pth files, this
    checkout's editable install among them, are not processed: only the wheel provides lpmsync."""
    venv.create(where, with_pip=False, symlinks=True)
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([python, "-m", "installer", str(wheel)], check=True, capture_output=True)
    return where / "bin"


def run_in(cwd: Path, *command: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LPMSYNC_", "PYTHON"))}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_the_installed_wheel_runs_the_demo_from_an_empty_directory(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    with zipfile.ZipFile(wheel) as archive:
        assert "lpmsync/sandbox/demo.yaml" in archive.namelist()
    bin_dir = install_into_throwaway_venv(wheel, tmp_path / "venv")
    empty = tmp_path / "elsewhere"
    empty.mkdir()

    where = run_in(empty, bin_dir / "python", "-c", "import lpmsync; print(lpmsync.__file__)")
    assert where.stdout.startswith(str(tmp_path / "venv")), where.stdout + where.stderr
    assert (
        run_in(empty, bin_dir / "lpmsync", "--version").stdout == f"lpmsync {version('lpmsync')}\n"
    )

    result = run_in(empty, bin_dir / "lpmsync", "demo", "--out", "out", "--no-serve")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    assert (empty / "out" / "digest" / "digest.html").stat().st_size > 0
    assert (empty / "out" / "data" / "lpmsync.db").exists()
    assert sorted(p.name for p in empty.iterdir()) == ["out"]  # nothing written beside --out
