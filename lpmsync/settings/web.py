"""`web`: the board in the browser (`lpmsync serve`, and `lpmsync run` beside the scheduler).

Health and metrics are served by the same app. Where it listens defaults to `health.host` and
`health.port` (127.0.0.1:9464), so a deployment that set those keeps working unchanged.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from lpmsync.settings.base import ENV_NAME, StrictModel


class WebSettings(StrictModel):
    # Where people reach the board: alert messages link to `{base_url}/findings?...`.
    base_url: str | None = None
    host: str | None = None  # default: health.host
    port: int | None = Field(default=None, ge=0, le=65535)  # default: health.port
    # The environment variable holding the access token; unset: no login (bind to loopback).
    auth_token_env: str | None = None
    protect_metrics: bool = False  # /metrics needs the token too (Prometheus sends a Bearer)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("auth_token_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.match(value):
            raise ValueError(f"expected an environment variable name, got {value!r}")
        return value
