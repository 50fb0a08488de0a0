"""`notify.slack`: where alerts and digests go."""

from __future__ import annotations

import re
from datetime import time, timedelta

from pydantic import Field, field_validator

from lpmsync.domain.findings import Severity
from lpmsync.settings.base import ENV_NAME, Duration, StrictModel, empty_list
from lpmsync.settings.interactive import ConnectionMode, InteractiveConfig


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
    # A source whose last successful sync is older than this holds the digest back (default:
    # twice the interval of schedule.sync); after stale_deadline it goes out with a banner.
    max_source_age: Duration | None = None
    stale_deadline: Duration = timedelta(hours=6)


class SlackConfig(StrictModel):
    token_env: str = "SLACK_BOT_TOKEN"  # noqa: S105 (the variable's name, not a secret)
    base_url: str = "https://slack.com/api/"
    default_channel: str = Field(min_length=1)
    repeat_interval: Duration = timedelta(hours=24)
    routes: list[Route] = Field(default_factory=empty_list)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    max_attempts: int = Field(default=50, ge=1)  # per message, across sender runs
    max_items_per_message: int = Field(default=10, ge=1, le=40)
    baseline_threshold: int | None = Field(default=25, ge=0)  # None: never send a baseline
    timeout_seconds: float = Field(default=30.0, gt=0)
    app_token_env: str = "SLACK_APP_TOKEN"  # noqa: S105 (Socket Mode's xapp- token: its name)
    signing_secret_env: str = "SLACK_SIGNING_SECRET"  # noqa: S105 (HTTP mode; a name)
    interactive: InteractiveConfig | None = None  # the Slack app; absent: alerts only

    @field_validator("token_env", "app_token_env", "signing_secret_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not ENV_NAME.match(value) or re.match(r"^(xox[abp]|xapp)-", value):
            raise ValueError("expected the NAME of the environment variable holding the secret")
        return value

    def secret_env_vars(self) -> dict[str, str]:
        secrets = {"token_env": self.token_env}
        if self.interactive is not None:  # only the secret of the mode in use is required
            if self.interactive.mode is ConnectionMode.SOCKET:
                secrets["app_token_env"] = self.app_token_env
            else:
                secrets["signing_secret_env"] = self.signing_secret_env
        return secrets


class NotifyConfig(StrictModel):
    slack: SlackConfig | None = None
    # `lpmsync silence add` refuses longer silences: a forgotten one would hide alerts for good.
    max_silence: Duration = timedelta(days=90)
