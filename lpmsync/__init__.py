"""lpmsync: keeps a Lean portfolio aligned with strategy, in the trackers teams already use."""

__version__ = "0.1.0"
