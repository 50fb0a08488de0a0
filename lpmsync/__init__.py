"""lpmsync: keeps a Lean portfolio aligned with strategy, in the trackers teams already use."""

from importlib.metadata import PackageNotFoundError, version

try:
    # The one source of the version is the package metadata (pyproject.toml's `version`).
    __version__ = version("lpmsync")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
