"""`web`: where the web board is served, so messages can link to it."""

from __future__ import annotations

from lpmsync.settings.base import StrictModel


class WebSettings(StrictModel):
    # The board's public address, e.g. https://lpmsync.example.com; "and N more" links there.
    base_url: str | None = None
