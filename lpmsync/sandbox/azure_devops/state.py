"""What every Azure DevOps handler shares: the dataset, its revision ledger, the organisation,
the clock, and the views of items that fields render from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from lpmsync.sandbox.azure_devops.common import AdoError, host_url, path_param
from lpmsync.sandbox.azure_devops.fields import CURRENT_REVISION_END, ItemView
from lpmsync.sandbox.azure_devops.rendered import RenderedItems
from lpmsync.sandbox.azure_devops.revisions import Revision, RevisionLedger
from lpmsync.sandbox.dataset import Dataset, SampleItem
from lpmsync.sandbox.http import Request


@dataclass
class AdoState:
    dataset: Dataset
    organization: str
    clock: Callable[[], datetime]
    revisions_page_size: int = 200
    ledger: RevisionLedger = field(init=False)
    rendered: RenderedItems = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = RevisionLedger(self.dataset)
        self.rendered = RenderedItems()

    def project(self, request: Request) -> str | None:
        """The dataset's project when the route names it (any case); None for org-level routes.
        Another name is the service's TF200016."""
        name = path_param(request, "project")
        if name is None:
            return None
        if name.lower() != self.dataset.project.lower():
            raise AdoError(
                404,
                f"TF200016: The following project does not exist: {name}. Verify that the name "
                "of the project is correct and that the project exists on the specified Azure "
                "DevOps Server.",
                "ProjectDoesNotExistWithNameException",
                "Microsoft.TeamFoundation.Core.WebApi.ProjectDoesNotExistWithNameException, "
                "Microsoft.TeamFoundation.Core.WebApi",
            )
        return self.dataset.project

    def org_url(self, request: Request) -> str:
        return f"{host_url(request)}/{quote(self.organization)}"

    def item_url(self, request: Request, item_id: int) -> str:
        return f"{self.org_url(request)}/_apis/wit/workItems/{item_id}"

    def view(self, item: SampleItem, full: bool = True) -> ItemView:
        """The current revision of an item. A quick view (full=False) skips the revision ledger;
        WIQL uses it unless the query touches System.Rev or the state change date."""
        if not full:
            project = self.dataset.project
            return ItemView(item, 0, item.status, item.updated, item.updated, project, self.dataset)
        return self.view_at(self.ledger.latest(item), item)

    def view_as_of(self, item: SampleItem, moment: datetime) -> ItemView | None:
        """The revision current at `moment`, or None when the item did not exist yet."""
        earlier = [rev for rev in self.ledger.revisions(item) if rev.at <= moment]
        return self.view_at(earlier[-1], item) if earlier else None

    def view_at(self, revision: Revision, item: SampleItem) -> ItemView:
        return ItemView(
            item,
            revision.rev,
            revision.state,
            revision.at,
            self.ledger.state_changed_at(revision),
            self.dataset.project,
            self.dataset,
            self.ledger.revised_at(revision) or CURRENT_REVISION_END,
        )

    def path_exists(self, reference: str, path: str) -> bool:
        """Whether an area (or iteration) path exists: the project root or any prefix of an
        item's path. `path` arrives lower-cased, as WIQL compares it."""
        if path == self.dataset.project.lower():
            return True
        if reference != "System.AreaPath":
            return False
        for item in self.dataset:
            area = (item.area_path or "").lower()
            if area == path or area.startswith(path + "\\"):
                return True
        return False
