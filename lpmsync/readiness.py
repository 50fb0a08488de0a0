"""Whether the service is doing its job, as `/readyz` and `lpmsync status` say it (apart from the
metrics, so a light command does not import prometheus_client)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Readiness:
    """Whether the service is doing its job (`/readyz`); `reasons` say why not, for an operator."""

    ready: bool
    reasons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "unready",
            "reasons": self.reasons,
            **self.details,
        }
