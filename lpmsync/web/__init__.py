"""The board in the browser: a read-only, server-rendered entry point beside the CLI.

Pages, health and metrics are one Starlette app (`create_app`), served by uvicorn with bounds
(`WebServer`). View models are pure (`snapshot`, `views`, `pages`, `wording`).
"""

from lpmsync.web.app import Pages, create_app
from lpmsync.web.auth import AccessToken
from lpmsync.web.health import Probes
from lpmsync.web.portfolio import PortfolioReader
from lpmsync.web.server import WebServer, WebServerError

__all__ = [
    "AccessToken",
    "Pages",
    "PortfolioReader",
    "Probes",
    "WebServer",
    "WebServerError",
    "create_app",
]
