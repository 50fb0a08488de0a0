"""`schedule`, `store`, `health` and `logging`: how the service runs."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from lpmsync.settings.base import Duration, StrictModel

_NUMERIC_DOW = re.compile(r"\d")


def check_crontab(expression: str, *, weekday_names: bool) -> str:
    """Validate a 5-field crontab expression the way APScheduler will read it."""
    from apscheduler.triggers.cron import CronTrigger  # noqa: PLC0415 (heavy import, validation only)

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 crontab fields (minute hour day month day_of_week), got {expression!r}"
        )
    if weekday_names and _NUMERIC_DOW.search(fields[4]):
        raise ValueError(
            f"day_of_week {fields[4]!r} is a number; use names such as mon or mon-fri "
            "(APScheduler counts Monday as 0, crontab counts Sunday as 0)"
        )
    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {expression!r}: {exc}") from None
    return expression


class ScheduleConfig(StrictModel):
    sync: str = "*/15 * * * *"  # sync -> check -> send
    digest: str = "0 9 * * mon"  # weekly digest, portfolio time zone
    misfire_grace: Duration = timedelta(hours=6)  # a late digest still goes out

    @field_validator("sync", "digest")
    @classmethod
    def _cron(cls, value: str) -> str:
        return check_crontab(value, weekday_names=True)


SUPPORTED_STORE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
POSTGRES_EXTRA = "pip install 'lpmsync[postgres]'"


def check_store_url(url: str) -> str:
    """Only the databases lpmsync supports: SQLite, and PostgreSQL through psycopg 3."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SUPPORTED_STORE_SCHEMES:
        shown = f"{scheme}://…" if scheme else "this value"
        raise ValueError(
            f"{shown} is not a supported database URL: use sqlite:///PATH, or "
            f"postgresql+psycopg://HOST/DATABASE with the postgres extra ({POSTGRES_EXTRA})"
        )
    return url


class StoreConfig(StrictModel):
    url: str | None = None  # default: SQLite file in data_dir; PostgreSQL: postgresql+psycopg://
    data_dir: Path = Path("data")

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str | None) -> str | None:
        return None if value is None else check_store_url(value)

    @property
    def effective_url(self) -> str:
        return self.url or f"sqlite:///{self.data_dir / 'lpmsync.db'}"


class HealthConfig(StrictModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)


class LoggingConfig(StrictModel):
    format: Literal["auto", "text", "json"] = "auto"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
