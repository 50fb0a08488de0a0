"""A connector wired to the `responses` fake: the config, the context, a fake sleep."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lpmsync.connectors.azure_devops.connector import AzureDevOpsConnector
from lpmsync.connectors.registry import ConnectorContext
from lpmsync.domain.sync import Cursor, SyncPage, SyncRequest
from lpmsync.settings import AzureDevOpsSource
from tests.contract.ado_fake import ORG, PROJECT, FakeBoards

PAT = "pat-0123456789abcdef"


def make_config(**overrides: Any) -> AzureDevOpsSource:
    values: dict[str, Any] = {
        "kind": "azure_devops",
        "name": "ado",
        "organization_url": ORG,
        "project": PROJECT,
        "pat_env": "ADO_PAT",
        "states": {"New": "Funnel", "Active": "Implementing", "Closed": "Done"},
        "max_attempts": 3,
    }
    return AzureDevOpsSource.model_validate({**values, **overrides})


@dataclass
class Harness:
    """A connector against the fake, with the waits it asked for."""

    boards: FakeBoards
    connector: AzureDevOpsConnector
    sleeps: list[float]

    def sync(
        self,
        cursor: Cursor | None = None,
        known: frozenset[str] = frozenset(),
        *,
        full: bool = False,
    ) -> list[SyncPage]:
        return list(self.connector.pages(SyncRequest(cursor, known, full)))

    def resync(self, pages: list[SyncPage], *, full: bool = False) -> list[SyncPage]:
        """The next run, from what `pages` left: their last cursor and the keys they hold."""
        known = frozenset(item.key for page in pages for item in page.items)
        return self.sync(pages[-1].cursor, known, full=full)


def make_harness(boards: FakeBoards, data_dir: Path, **overrides: Any) -> Harness:
    sleeps: list[float] = []
    context = ConnectorContext(data_dir=data_dir, environ={"ADO_PAT": PAT}, sleep=sleeps.append)
    connector = AzureDevOpsConnector.from_config(make_config(**overrides), context)
    return Harness(boards, connector, sleeps)
