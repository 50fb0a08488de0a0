"""The report JSON's `flow` section (docs/report.md): part of the stable interface."""

from __future__ import annotations

from typing import Any

from lpmsync.domain.flow import FlowMetrics, Forecast


def flow_json(flow: FlowMetrics) -> dict[str, Any]:
    return {
        "window_weeks": flow.window_weeks,
        "buckets": [start.isoformat() for start in flow.buckets],
        "velocity": {level.value: list(counts) for level, counts in flow.velocity.items()},
        "load": {level.value: list(counts) for level, counts in flow.load.items()},
        "flow_time_days": {
            level.value: {"n": time.n, "p50": time.p50, "p85": time.p85, "p95": time.p95}
            for level, time in flow.flow_time.items()
        },
        "efficiency": {level.value: value for level, value in flow.efficiency.items()},
        "distribution": dict(flow.distribution),
        "forecasts": [_forecast(forecast) for forecast in flow.forecasts],
        "left_out": {
            figure: {level.value: count for level, count in counts.items()}
            for figure, counts in flow.left_out.items()
        },
        "states": {
            level.value: {state: list(counts) for state, counts in by_state.items()}
            for level, by_state in flow.states.items()
        },
    }


def _forecast(forecast: Forecast) -> dict[str, Any]:
    return {
        "source": forecast.source,
        "key": forecast.key,
        "remaining": forecast.remaining,
        "p50": None if forecast.p50 is None else forecast.p50.isoformat(),
        "p85": None if forecast.p85 is None else forecast.p85.isoformat(),
        "trials": forecast.trials,
        "value_stream": forecast.value_stream,
        "target_date": None if forecast.target_date is None else forecast.target_date.isoformat(),
    }
