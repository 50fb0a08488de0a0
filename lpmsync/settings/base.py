"""Shared pieces of the settings models."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, SecretStr

from lpmsync.errors import ConfigError


class StrictModel(BaseModel):
    """Every settings model refuses unknown keys, so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def empty_list() -> list[Any]:
    """`default_factory` of a list field. Not `list` itself: pydantic reads a factory's signature,
    and reading a builtin's compiles the tokenizer's regex (about 10 ms of every start-up)."""
    return []


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: object) -> timedelta:
    """`90s`, `15m`, `24h`, `7d`, `1w`, or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"expected a duration such as 15m, 24h or 7d, got {value!r}")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_secret(env_var: str, environ: Mapping[str, str] | None = None, *, key: str) -> SecretStr:
    """The secret held by `env_var`. The message on failure names the variable, never a value."""
    value = (os.environ if environ is None else environ).get(env_var, "")
    if not value.strip():
        raise ConfigError(
            f"environment variable {env_var} is not set (expected the secret)", key=key
        )
    return SecretStr(value.strip())
