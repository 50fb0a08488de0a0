"""`lpmsync serve` and the end of `lpmsync demo` as a person runs them: a URL printed, the board
served from the store, Ctrl-C stops it with exit 0."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import run_cli
from tests.web_support import sync_sandbox_portfolio

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"(http://127\.0\.0\.1:\d+)/")


def read_until(fd: int, pattern: re.Pattern[str], timeout: float) -> tuple[str, re.Match[str]]:
    seen, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 65536).decode(errors="replace")
            except OSError:
                break
            found = pattern.search(seen)
            if found:
                return seen, found
    raise AssertionError(f"{pattern.pattern!r} not printed within {timeout}s:\n{seen[-3000:]}")


def cli_on_a_terminal(*args: str, cwd: Path) -> tuple[subprocess.Popen[bytes], int]:
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPMSYNC_")}
    process = subprocess.Popen(
        [sys.executable, "-c", "from lpmsync.cli import main; main()", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=cwd,
        env={**env, "COLUMNS": "200"},
    )
    os.close(child)
    return process, main


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


def stop(process: subprocess.Popen[bytes], fd: int) -> int:
    process.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        return process.wait(timeout=30)
    finally:
        os.close(fd)


@pytest.mark.slow
def test_serve_shows_the_board_of_the_store(tmp_path: Path) -> None:
    portfolio = sync_sandbox_portfolio(tmp_path)
    config = tmp_path / "lpmsync.yaml"
    text = (ROOT / "lpmsync" / "sandbox" / "demo.yaml").read_text(encoding="utf-8")
    config.write_text(text + f"\nstore:\n  url: {portfolio.url}\n", encoding="utf-8")
    process, fd = cli_on_a_terminal("serve", "-c", str(config), "--port", "0", cwd=tmp_path)
    try:
        _, found = read_until(fd, re.compile(r"board: (http://127\.0\.0\.1:\d+)/"), 60)
        status, page = fetch(found[1] + "/?source=ado")
        assert status == 200 and "Acme Digital Portfolio" in page and '<article class="card' in page
        assert fetch(found[1] + "/healthz") == (200, '{"status":"alive"}')
    finally:
        code = stop(process, fd)
    assert code == 0


@pytest.mark.slow
def test_the_demo_ends_by_serving_its_board_until_ctrl_c(tmp_path: Path) -> None:
    process, fd = cli_on_a_terminal("demo", "--out", str(tmp_path / "out"), cwd=ROOT)
    try:
        seen, found = read_until(fd, re.compile(r"The portfolio board:\S*\s+(http://\S+)/"), 180)
        status, page = fetch(URL.search(found[0])[1] + "/")  # type: ignore[index]
        assert status == 200 and "Implementing" in page and '"head breached"' in page
    finally:
        code = stop(process, fd)
    assert code == 0 and "Traceback" not in seen


def test_serve_without_its_token_variable_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "lpmsync.yaml"
    text = (ROOT / "lpmsync" / "sandbox" / "demo.yaml").read_text(encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'lpmsync.db'}"
    web = "web:\n  auth_token_env: LPMSYNC_TEST_UNSET_BOARD_TOKEN\n"
    config.write_text(text + f"\nstore:\n  url: {store}\n" + web, encoding="utf-8")
    result = run_cli("serve", "-c", str(config), "--port", "0", cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "web.auth_token_env" in result.stderr
    assert "LPMSYNC_TEST_UNSET_BOARD_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr
