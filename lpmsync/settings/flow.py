"""`flow`: how flow metrics and forecasts are measured (docs/report.md, `flow`)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from lpmsync.domain.flow import FlowPolicy
from lpmsync.settings.base import StrictModel
from lpmsync.settings.sources import SourceConfig

DEFAULT_WAIT_STATES = ["Ready"]


class FlowConfig(StrictModel):
    window_weeks: int = Field(default=12, ge=1, le=104)
    # Active states where work waits; they count in flow time but not as working time.
    wait_states: list[str] = Field(default_factory=lambda: list(DEFAULT_WAIT_STATES))
    start_state: str | None = None  # None: flow time starts at the first active state entered
    forecast_trials: int = Field(default=2_000, ge=100, le=100_000)
    forecast_seed: int = 0

    def named_states(self) -> list[tuple[str, str]]:
        """(key, state) pairs to check against the Kanban; the default `Ready` is checked only
        when the portfolio has it, so a Kanban without it needs no `flow` section."""
        pairs = [("wait_states", state) for state in self.wait_states]
        if "wait_states" not in self.model_fields_set:
            pairs = []
        if self.start_state is not None:
            pairs.append(("start_state", self.start_state))
        return pairs


def to_flow_policy(
    flow: FlowConfig, sources: Sequence[SourceConfig], states: Sequence[str]
) -> FlowPolicy:
    return FlowPolicy(
        window_weeks=flow.window_weeks,
        wait_states=tuple(state for state in flow.wait_states if state in states),
        start_state=flow.start_state,
        trials=flow.forecast_trials,
        seed=flow.forecast_seed,
        statuses={source.name: dict(source.mapped_statuses) for source in sources},
    )
