"""Logging: redaction of secret values and token shapes, JSON lines, format selection."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from lpmsync import logs
from lpmsync.logs import REDACTED, JsonFormatter, RedactingFilter, Redactor


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("slack said invalid_auth for xoxb-1234-5678-abcdEFGH", "xoxb-1234-5678-abcdEFGH"),
        ("app token xapp-1-A0B1-99-ffee", "xapp-1-A0B1-99-ffee"),
        ("Authorization: Basic YWRhQGV4YW1wbGUuY29tOnNlY3JldA==", "YWRhQGV4YW1wbGUuY29tOnNlY3JldA"),
        ("header Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
        ("jira token ATATT3xFfGF0T9tlLkR2x8wQ_abc-123=", "ATATT3xFfGF0T9tlLkR2x8wQ"),
        ("ado pat " + "a" * 30 + "b2c3d4e5f6g7" + "h" * 10, "b2c3d4e5f6g7"),
        ("gh ghp_0123456789abcdefghijABCDEFGHIJ0123456789", "ghp_0123456789abcdefghij"),
        ("db postgresql+psycopg://lpm:hunter2pass@db:5432/x", "hunter2pass"),
        ("GET /api?token=s3cr3tvalue&x=1", "s3cr3tvalue"),
        ("{'password': 'correct-horse'}", "correct-horse"),
    ],
)
def test_token_shapes_are_redacted(line: str, secret: str) -> None:
    redacted = Redactor()(line)
    assert secret not in redacted and REDACTED in redacted
    assert redacted.partition(" ")[0] == line.partition(" ")[0]  # the context stays readable


@pytest.mark.parametrize(
    "line",
    [
        "token expired, refreshing",
        "Patrick patched the pattern",
        "sync of ado: 12 added, 3 changed in 1.2s",
        "Basic auth refused for source 'jira'",
        "https://dev.azure.com/contoso/_apis/wit/wiql",
        "fingerprint 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ],
)
def test_ordinary_lines_are_left_alone(line: str) -> None:
    assert Redactor()(line) == line


def test_configured_values_are_redacted_longest_first() -> None:
    redactor = Redactor(["plain-secret-value", "plain-secret-value-longer", "ab", "   "])
    assert redactor("a plain-secret-value-longer b") == f"a {REDACTED} b"
    assert redactor("ab abc") == "ab abc"  # too short to be a secret: never redacted


def test_the_filter_rewrites_message_arguments_exception_and_extras() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.logs.filter")
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(Redactor(["canary-filter-31337"])))
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError("failed with canary-filter-31337")
        except RuntimeError:
            logger.exception(
                "call %s failed", "canary-filter-31337", extra={"url": "x?canary-filter-31337"}
            )
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue()
    assert "canary-filter-31337" not in output
    entry = json.loads(output)
    assert entry["message"] == f"call {REDACTED} failed"
    assert f"RuntimeError: failed with {REDACTED}" in entry["exception"]
    assert entry["url"] == f"x?{REDACTED}"
    assert entry["level"] == "error" and entry["logger"] == "tests.logs.filter"


def test_a_record_with_bad_arguments_is_still_written_and_redacted() -> None:
    record = logging.LogRecord("x", logging.INFO, "f", 1, "%d items for %s", ("xoxb-1-2-3",), None)
    assert RedactingFilter(Redactor()).filter(record)
    assert "xoxb-1-2-3" not in record.getMessage() and REDACTED in record.getMessage()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_is_text_on_a_terminal_and_json_otherwise(tmp_path: Path) -> None:
    def resolve(requested: logs.LogFormat, stream: io.StringIO, **environ: str) -> str:
        return logs.resolve_format(requested, stream, environ, root=tmp_path)

    assert resolve("auto", _Tty()) == "text"
    assert resolve("auto", io.StringIO()) == "json"
    assert resolve("auto", _Tty(), KUBERNETES_SERVICE_HOST="10.0.0.1") == "json"
    assert resolve("auto", _Tty(), container="podman") == "json"
    assert resolve("text", io.StringIO()) == "text"
    assert resolve("json", _Tty()) == "json"
    (tmp_path / ".dockerenv").touch()
    assert resolve("auto", _Tty()) == "json"


def test_configure_logging_redacts_secret_looking_env_vars(restore_logging: None) -> None:
    stream = io.StringIO()
    environ = {"MY_SERVICE_TOKEN": "env-canary-4242", "HOME": "/home/lpm"}
    logs.configure_logging("json", "INFO", stream=stream, environ=environ)
    logging.getLogger("lpmsync.test").info("using env-canary-4242 from /home/lpm")
    entry = json.loads(stream.getvalue())
    assert entry["message"] == f"using {REDACTED} from /home/lpm"


def test_explicit_log_format_wins_over_the_settings(restore_logging: None) -> None:
    logs.configure_from_cli("text")
    handler = logs.configure_from_settings("json", "DEBUG")
    assert not isinstance(handler.formatter, JsonFormatter)
    assert logging.getLogger().level == logging.DEBUG
    logs.configure_from_cli(None)
    handler = logs.configure_from_settings("json", "INFO")
    assert isinstance(handler.formatter, JsonFormatter)
    ours = [h for h in logging.getLogger().handlers if h.get_name() == "lpmsync"]
    assert ours == [handler]  # reconfiguring replaces, never stacks handlers


def test_configured_secret_holders_are_registered(restore_logging: None) -> None:
    class Holder:
        def secret_env_vars(self) -> dict[str, str]:
            return {"pat_env": "ODD_NAME_FOR_A_CREDENTIAL"}

    logs.register_secret_env_vars([Holder(), None], {"ODD_NAME_FOR_A_CREDENTIAL": "odd-canary-77"})
    assert logs.redactor()("odd-canary-77 in a line") == f"{REDACTED} in a line"
