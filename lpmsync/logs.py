"""Logging: readable text on a terminal, JSON lines in a container, secrets redacted everywhere.

`configure_logging` installs one handler on the root logger with a `RedactingFilter`, so every
record, lpmsync's and every library's (urllib3, slack_sdk, APScheduler), passes the filter before
it is written. The filter applies the process-wide redaction of `lpmsync.redact` (the same one CLI
output, `runs.error` and Slack messages pass), after registering the values of variables whose
name looks like a secret.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, TextIO

from lpmsync.redact import REDACTED, Redactor, redactor, register_secrets

__all__ = ["REDACTED", "Redactor", "redactor", "register_secrets"]

LogFormat = Literal["auto", "text", "json"]

_SECRET_NAME = re.compile(r"(?i)(TOKEN|SECRET|PASSWORD|PASSWD|_PAT$|^PAT_|_PAT_|API_KEY|APIKEY)")

# LogRecord attributes that are not `extra=` fields.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


class RedactingFilter(logging.Filter):
    """Rewrites each record so that no secret reaches a formatter: the message (with its
    arguments merged in), the exception and stack text, and string `extra=` fields."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self.redactor
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRS and not name.startswith("_"):
                entry[name] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

_HANDLER_NAME = "lpmsync"
_requested: dict[str, LogFormat] = {}  # what `--log-format` asked for, if anything


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time, so a handler installed while a test
    runner has swapped stderr never writes to a closed stream afterwards."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


class SecretHolder(Protocol):
    """A settings section that names the environment variables holding its secrets."""

    def secret_env_vars(self) -> dict[str, str]: ...


def register_secret_env_vars(
    holders: Iterable[SecretHolder | None], environ: Mapping[str, str] | None = None
) -> None:
    """Redact the values of every secret variable these settings sections name."""
    env = os.environ if environ is None else environ
    names = {
        name
        for holder in holders
        if holder is not None
        for name in holder.secret_env_vars().values()
    }
    register_secrets(env.get(name, "") for name in names)


def secret_looking_env_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of variables whose names say they hold a secret (…TOKEN, …PASSWORD, …_PAT)."""
    env = os.environ if environ is None else environ
    return [value for name, value in env.items() if _SECRET_NAME.search(name)]


def in_container(environ: Mapping[str, str] | None = None, root: Path = Path("/")) -> bool:
    env = os.environ if environ is None else environ
    return (
        (root / ".dockerenv").exists()
        or "KUBERNETES_SERVICE_HOST" in env
        or env.get("container", "") != ""
    )


def resolve_format(
    requested: LogFormat,
    stream: TextIO,
    environ: Mapping[str, str] | None = None,
    root: Path = Path("/"),
) -> Literal["text", "json"]:
    """`auto` means text on an interactive terminal outside a container, JSON otherwise."""
    if requested != "auto":
        return requested
    interactive = hasattr(stream, "isatty") and stream.isatty()
    return "text" if interactive and not in_container(environ, root) else "json"


def configure_logging(
    log_format: LogFormat = "auto",
    level: str = "INFO",
    *,
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> logging.Handler:
    """Install (or replace) lpmsync's root handler; returns it. Idempotent."""
    output: TextIO = stream if stream is not None else _CurrentStderr()  # type: ignore[assignment]
    register_secrets(secret_looking_env_values(environ))
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(output)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RedactingFilter(redactor()))
    if resolve_format(log_format, output, environ) == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # APScheduler logs every job added, started and finished at INFO; lpmsync logs a summary.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return handler


def configure_from_cli(log_format: LogFormat | None) -> None:
    """Logging for any command, before its settings are read; `None`: not given (auto)."""
    _requested.clear()
    if log_format is not None:
        _requested["format"] = log_format
    configure_logging(log_format or "auto")


def configure_from_settings(log_format: LogFormat, level: str) -> logging.Handler:
    """Apply the `logging` settings; an explicit `--log-format` wins over the file."""
    return configure_logging(_requested.get("format", log_format), level)
