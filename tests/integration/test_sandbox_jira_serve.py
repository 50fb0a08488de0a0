"""`lpmsync sandbox serve` and start_sandbox: every personality up on loopback, in a fixed port
order, with credentials and a config snippet that lpmsync accepts; the bundled demo.yaml matches."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import yaml

from lpmsync.cli.sandbox_cmd import READY_LINE
from lpmsync.sandbox.serve import PORT_ORDER, SANDBOX_EMAIL, SANDBOX_TOKEN, start_sandbox
from lpmsync.settings import load_settings

DEMO = Path(__file__).resolve().parents[2] / "lpmsync" / "sandbox" / "demo.yaml"
WAIT_SECONDS = 30.0


def test_start_sandbox_serves_every_personality_with_its_credentials() -> None:
    started = time.perf_counter()
    with start_sandbox() as sandbox:
        startup = time.perf_counter() - started
        print(f"sandbox (default portfolio) started in {startup:.3f} s")  # noqa: T201 (recorded)
        urls = {name: p.base_url for name, p in sandbox.personalities.items()}
        cloud = requests.get(
            f"{urls['jira-cloud']}/rest/api/2/serverInfo",
            auth=(SANDBOX_EMAIL, SANDBOX_TOKEN),
            timeout=5,
        )
        dc = requests.get(
            f"{urls['jira-dc']}/rest/api/2/serverInfo",
            headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
            timeout=5,
        )

    assert list(urls)[:2] == ["jira-cloud", "jira-dc"]
    assert set(urls) <= set(PORT_ORDER)
    assert all(url.startswith("http://127.0.0.1:") for url in urls.values())
    assert cloud.json()["deploymentType"] == "Cloud"
    assert dc.json()["deploymentType"] == "Server"


def test_latency_knob_reaches_every_personality() -> None:
    with start_sandbox(latency_ms=5) as sandbox:
        assert {p.knobs.latency_ms for p in sandbox.personalities.values()} == {5}


def test_a_fixed_port_numbers_the_personalities_in_order() -> None:
    base = _four_free_ports()
    with start_sandbox(port=base) as sandbox:
        ports = {name: p.server.port for name, p in sandbox.personalities.items()}

    assert ports == {name: base + PORT_ORDER.index(name) for name in ports}


def test_the_config_snippet_is_a_valid_lpmsync_config(tmp_path: Path) -> None:
    demo = yaml.safe_load(DEMO.read_text())
    with start_sandbox() as sandbox:
        snippet = yaml.safe_load(sandbox.config_snippet())
        credentials = sandbox.credentials()
    config = tmp_path / "sandbox.yaml"
    config.write_text(yaml.safe_dump({**demo, **snippet}))

    settings = load_settings(config, environ=credentials)

    assert [source.name for source in settings.sources][:2] == ["jira-cloud", "jira-dc"]
    assert all(str(source.model_dump()).count("127.0.0.1") for source in settings.sources)


def test_demo_config_points_at_the_ports_of_serve_port_18080() -> None:
    demo = yaml.safe_load(DEMO.read_text())
    urls = {
        source["name"]: source.get("url") or source.get("organization_url")
        for source in demo["sources"]
    }

    assert urls == {
        "jira-cloud": f"http://127.0.0.1:{18080 + PORT_ORDER.index('jira-cloud')}",
        "ado": f"http://127.0.0.1:{18080 + PORT_ORDER.index('ado')}/contoso",
    }
    slack = demo["notify"]["slack"]["base_url"]
    assert slack == f"http://127.0.0.1:{18080 + PORT_ORDER.index('slack')}/api/"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_the_cli_starts_prints_and_stops_on_sigterm() -> None:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", "from lpmsync.cli import main; main()", "sandbox", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines = _lines(process)
    try:
        printed = _until(lines, READY_LINE)
        print(f"`lpmsync sandbox serve` ready after {time.perf_counter() - started:.2f} s")  # noqa: T201
        cloud_url = next(
            line.split()[2] for line in printed if line.strip().startswith("Jira Cloud")
        )
        answer = requests.get(
            f"{cloud_url}/rest/api/2/serverInfo", auth=(SANDBOX_EMAIL, SANDBOX_TOKEN), timeout=5
        )
        process.send_signal(signal.SIGTERM)
        tail = _until(lines, "sandbox stopped")
        code = process.wait(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    text = "\n".join(printed)
    assert answer.status_code == 200
    assert f"export LPMSYNC_SANDBOX_JIRA_TOKEN={SANDBOX_TOKEN}" in text
    assert "sources:" in text and "kind: jira" in text
    assert tail[-1] == "sandbox stopped" and code == 0


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """The process's output lines, read in a thread so the test can give up waiting."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _until(lines: queue.Queue[str | None], marker: str) -> list[str]:
    seen: list[str] = []
    while True:
        line = lines.get(timeout=WAIT_SECONDS)
        if line is None:
            raise AssertionError("the sandbox exited early:\n" + "\n".join(seen))
        seen.append(line)
        if line.startswith(marker):
            return seen


def _four_free_ports() -> int:
    """A base port P with P..P+3 free right now (the kernel's pick for P, checked upward)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + 3 < 65536 and all(_free(base + offset) for offset in range(4)):
            return base
    raise AssertionError("no four consecutive free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
