"""`lpmsync db ...`: the store's schema."""

from __future__ import annotations

import typer

from lpmsync.bootstrap import open_configured_store
from lpmsync.cli.common import ConfigOption, console, load

app = typer.Typer(help="Manage the store's schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(config: ConfigOption = None) -> None:
    """Apply pending migrations (the store also does this on start)."""
    settings = load(config, check_secrets=False)
    store = open_configured_store(settings, upgrade=False)
    try:
        applied = store.upgrade()
    finally:
        store.close()
    if applied:
        console.print(f"store upgraded: applied {', '.join(applied)}")
    else:
        console.print("store is up to date")
