"""lpmsync: keeps a Lean portfolio aligned with strategy, in the trackers teams already use."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # The one source of the version is the package metadata (pyproject.toml's `version`), read
    # when asked for: importlib.metadata costs every command's start-up otherwise.
    if name != "__version__":
        raise AttributeError(f"module 'lpmsync' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("lpmsync")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"
