"""`sources`: one entry per tracker, discriminated on `kind`."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, HttpUrl, field_validator, model_validator

from lpmsync.domain.model import Level
from lpmsync.settings.base import ENV_NAME, Duration, StrictModel

DATA_CENTER_PARALLELISM = 4  # Jira Data Center's default requests in flight (Cloud and ADO: 8)


def _env_name(value: str) -> str:
    if not ENV_NAME.match(value):
        raise ValueError(
            f"expected the NAME of an environment variable, got {value[:3]}…; "
            "secrets never live in the YAML file"
        )
    return value


class WsjfFields(StrictModel):
    """Where the four WSJF inputs live (field names or ids)."""

    business_value: str | None = None
    time_criticality: str | None = None
    risk_reduction: str | None = None
    job_size: str | None = None


class JiraValueStream(StrictModel):
    """Where a Jira item's value stream comes from."""

    source: Literal["component", "label_prefix", "field"] = "component"
    prefix: str = "vs-"  # with label_prefix: label `vs-payments` -> value stream `payments`
    field: str | None = None  # with field: custom field name or id


class JiraFields(StrictModel):
    theme: str | None = None  # custom field, by name or id
    estimate: str | None = None  # e.g. "Story Points" or customfield_10016
    wsjf: WsjfFields = Field(default_factory=WsjfFields)
    value_stream: JiraValueStream = Field(default_factory=JiraValueStream)
    owner: str = "assignee"  # or a user-picker field by name or id
    epic_link: str = "Epic Link"  # Data Center: found by name through /rest/api/2/field
    parent_link: str | None = None  # Advanced Roadmaps "Parent Link", for levels above epic
    due_date: str | None = "duedate"  # target date for `forecast-risk`: duedate or a date field


class JiraSource(StrictModel):
    kind: Literal["jira"]
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    url: HttpUrl
    deployment: Literal["cloud", "datacenter"] = "cloud"
    email_env: str | None = None  # Cloud: Basic auth user
    token_env: str  # Cloud: API token; Data Center: personal access token (Bearer)
    jql: str = Field(min_length=1)
    issue_types: dict[str, Level] = Field(
        default_factory=lambda: {"Epic": Level.EPIC, "Feature": Level.FEATURE}
    )
    statuses: dict[str, str] = Field(min_length=1)  # tracker status -> portfolio state
    fields: JiraFields = Field(default_factory=JiraFields)
    # Requests in flight, fewer while Jira pushes back (connectors/pacing.py); Data Center: 4.
    parallelism: int = Field(default=8, ge=1, le=16)
    overlap_minutes: int = Field(default=5, ge=0)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    jql_time_zone: str | None = None  # the API user's Jira time zone (IANA); None: learn it
    # Incremental syncs list every key (to find removals) only when Jira's count differs from
    # the store's, or when the last listing is older than this; 0 lists on every sync.
    removal_check_interval: Duration = timedelta(hours=1)

    @model_validator(mode="before")
    @classmethod
    def _data_center_parallelism(cls, data: Any) -> Any:
        """A Data Center site serves each 1000-issue search with changelogs from its own nodes,
        and may have no rate limit to push back with: gentler unless set."""
        if isinstance(data, dict) and data.get("deployment") == "datacenter":
            return {"parallelism": DATA_CENTER_PARALLELISM, **data}
        return data

    @field_validator("jql_time_zone")
    @classmethod
    def _check_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}; expected an IANA name") from None
        return value

    @field_validator("email_env", "token_env")
    @classmethod
    def _check_env(cls, value: str | None) -> str | None:
        return None if value is None else _env_name(value)

    def secret_env_vars(self) -> dict[str, str]:
        names = {"token_env": self.token_env}
        if self.email_env:
            names["email_env"] = self.email_env
        return names

    @property
    def mapped_statuses(self) -> dict[str, str]:
        return self.statuses


class AdoValueStream(StrictModel):
    area_path_depth: int = Field(default=2, ge=1)  # `Org\Payments\Team` at depth 2 -> Payments


class AdoFields(StrictModel):
    theme: str | None = None  # a field reference name, or "tags" to use tags
    estimate: str | None = "Microsoft.VSTS.Scheduling.Effort"
    wsjf: WsjfFields = Field(
        default_factory=lambda: WsjfFields(
            business_value="Microsoft.VSTS.Common.BusinessValue",
            time_criticality="Microsoft.VSTS.Common.TimeCriticality",
            risk_reduction=None,
            job_size="Microsoft.VSTS.Scheduling.Effort",
        )
    )
    value_stream: AdoValueStream = Field(default_factory=AdoValueStream)
    owner: str = "System.AssignedTo"
    target_date: str | None = "Microsoft.VSTS.Scheduling.TargetDate"  # for `forecast-risk`


class AzureDevOpsSource(StrictModel):
    kind: Literal["azure_devops"]
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    organization_url: HttpUrl
    project: str = Field(min_length=1)
    team: str | None = None
    pat_env: str
    work_item_types: dict[str, Level] = Field(
        default_factory=lambda: {"Epic": Level.EPIC, "Feature": Level.FEATURE}
    )
    states: dict[str, str] = Field(min_length=1)  # state (or board column) -> portfolio state
    use_board_column: bool = False
    wiql_filter: str | None = None  # extra WIQL condition, e.g. "[System.AreaPath] UNDER 'X'"
    # Read every past state transition on the first sync (sequential: 1 request per 1,000
    # revisions; the flow metrics need them). Off: transitions are recorded from the first sync on.
    history_backfill: bool = True
    fields: AdoFields = Field(default_factory=AdoFields)
    # workitemsbatch calls in flight, fewer while Azure DevOps pushes back (connectors/pacing.py)
    parallelism: int = Field(default=8, ge=1, le=16)
    overlap_minutes: int = Field(default=5, ge=0)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)

    @field_validator("pat_env")
    @classmethod
    def _check_env(cls, value: str) -> str:
        return _env_name(value)

    def secret_env_vars(self) -> dict[str, str]:
        return {"pat_env": self.pat_env}

    @property
    def mapped_statuses(self) -> dict[str, str]:
        return self.states


SourceConfig = Annotated[JiraSource | AzureDevOpsSource, Field(discriminator="kind")]
