"""The demo's config, shipped inside the package (`lpmsync/sandbox/demo.yaml`): `lpmsync demo`
finds it from any directory and from a wheel installed anywhere, with no checkout around it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path

DEMO_CONFIG_NAME = "demo.yaml"


@contextmanager
def demo_config_path() -> Iterator[Path]:
    """A filesystem path to the bundled demo config while the block runs (a zipped install
    extracts it to a temporary file; a normal one is read in place)."""
    with as_file(files(__package__).joinpath(DEMO_CONFIG_NAME)) as path:
        yield path
