"""What a connector may need besides its own config (shared by every tracker package)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ConnectorContext:
    """What a connector may need besides its own config."""

    data_dir: Path
    environ: Mapping[str, str] | None = None  # None: os.environ
    sleep: Callable[[float], None] | None = None  # None: time.sleep (tests inject a fake)
    extra: Mapping[str, object] = field(default_factory=dict)
