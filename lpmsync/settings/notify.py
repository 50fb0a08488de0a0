"""`notify.slack`: where alerts and digests go."""

from __future__ import annotations

import re
from datetime import time, timedelta

from pydantic import Field, field_validator

from lpmsync.domain.findings import Severity
from lpmsync.settings.base import ENV_NAME, Duration, StrictModel


class RouteMatch(StrictModel):
    """All given keys must match; an empty match matches every alert."""

    rule: list[str] | None = None
    theme: list[str] | None = None
    value_stream: list[str] | None = None
    severity: list[Severity] | None = None

    @field_validator("rule", "theme", "value_stream", "severity", mode="before")
    @classmethod
    def _scalar_to_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class QuietHours(StrictModel):
    """Messages are held from `start` to `end` (portfolio time zone); may wrap midnight."""

    start: time
    end: time
    weekends: bool = False  # also hold all of Saturday and Sunday


class Route(StrictModel):
    match: RouteMatch = Field(default_factory=RouteMatch)
    channel: str = Field(min_length=1)
    quiet_hours: QuietHours | None = None
    mention_owner: bool = True


class DigestConfig(StrictModel):
    channel: str | None = None  # default: notify.slack.default_channel
    top_n: int = Field(default=5, ge=1, le=50)
    charts: bool = True


class SlackConfig(StrictModel):
    token_env: str = "SLACK_BOT_TOKEN"  # noqa: S105 (the variable's name, not a secret)
    base_url: str = "https://slack.com/api/"
    default_channel: str = Field(min_length=1)
    repeat_interval: Duration = timedelta(hours=24)
    routes: list[Route] = Field(default_factory=list)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    max_attempts: int = Field(default=50, ge=1)  # per message, across sender runs
    max_items_per_message: int = Field(default=10, ge=1, le=40)
    baseline_threshold: int | None = Field(default=25, ge=0)  # None: never send a baseline
    timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not ENV_NAME.match(value) or re.match(r"^xox[abp]-", value):
            raise ValueError("expected the NAME of the environment variable holding the bot token")
        return value

    def secret_env_vars(self) -> dict[str, str]:
        return {"token_env": self.token_env}


class NotifyConfig(StrictModel):
    slack: SlackConfig | None = None
    # `lpmsync silence add` refuses longer silences: a forgotten one would hide alerts for good.
    max_silence: Duration = timedelta(days=90)
