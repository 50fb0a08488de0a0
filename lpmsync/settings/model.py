"""The root settings model and the checks that span sections."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from lpmsync.settings.base import empty_list
from lpmsync.settings.checks import route_problems, slack_id_problems
from lpmsync.settings.flow import FlowConfig
from lpmsync.settings.notify import NotifyConfig
from lpmsync.settings.people import PeopleConfig
from lpmsync.settings.portfolio import RULE_IDS, PortfolioConfig, RuleSettings, ThemeConfig
from lpmsync.settings.runtime import HealthConfig, LoggingConfig, ScheduleConfig, StoreConfig
from lpmsync.settings.sources import SourceConfig
from lpmsync.settings.web import WebSettings


class Settings(BaseSettings):
    """The whole configuration: one YAML file, overridden by `LPMSYNC_*` variables."""

    model_config = SettingsConfigDict(
        env_prefix="LPMSYNC_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    portfolio: PortfolioConfig
    themes: list[ThemeConfig] = Field(default_factory=empty_list)
    sources: list[SourceConfig] = Field(default_factory=empty_list)
    rules: dict[str, RuleSettings] = Field(default_factory=dict)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    flow: FlowConfig = Field(default_factory=FlowConfig)
    people: PeopleConfig = Field(default_factory=PeopleConfig)
    web: WebSettings = Field(default_factory=WebSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML document arrives as init kwargs; environment variables override it.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        """Every problem across sections at once, one per line (see `settings.checks`)."""
        problems = _unique("themes", [theme.key for theme in self.themes], "theme key")
        problems += _unique("sources", [source.name for source in self.sources], "source name")
        shares = sum(theme.target_share or 0.0 for theme in self.themes)
        if shares > 1.0 + 1e-9:
            problems.append(
                f"themes: target_share values sum to {shares:.2f}; expected at most 1.0"
            )
        problems += self._state_name_problems()
        problems += route_problems(self) + slack_id_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _state_name_problems(self) -> list[str]:
        states = self.portfolio.state_names
        expected = f"expected one of {', '.join(states)}"
        problems = []
        for index, source in enumerate(self.sources):
            mapping = "statuses" if source.kind == "jira" else "states"
            problems += [
                f"sources[{index}].{mapping}.{status}: {state!r} is not a Kanban state"
                f"{_did_you_mean(state, states)}; {expected}"
                for status, state in source.mapped_statuses.items()
                if state not in states
            ]
        problems += [
            f"flow.{key}: {state!r} is not a Kanban state{_did_you_mean(state, states)}; {expected}"
            for key, state in self.flow.named_states()
            if state not in states
        ]
        for rule_id, rule in self.rules.items():
            if rule_id not in RULE_IDS:
                problems.append(
                    f"rules.{rule_id}: unknown rule id{_did_you_mean(rule_id, RULE_IDS)}"
                )
            problems += [
                f"rules.{rule_id}.{key}: {state!r} is not a Kanban state"
                f"{_did_you_mean(state, states)}; {expected}"
                for key, state in rule.named_states()
                if state not in states
            ]
        return problems


def _unique(section: str, names: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    problems = []
    for index, name in enumerate(names):
        if name in seen:
            problems.append(f"{section}[{index}]: duplicate {what} {name!r}")
        seen.add(name)
    return problems


def _did_you_mean(word: str, choices: list[str]) -> str:
    from difflib import get_close_matches  # noqa: PLC0415 (error path only)

    close = get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
