"""The set of async services the GUI and the CLI use, over one async database (app.wiring
builds it: `client_services`)."""

from __future__ import annotations

from dataclasses import dataclass

from core.services.analysis import AnalysisService
from core.services.exports import ExportService
from core.services.importing import ImportService
from core.services.jobs import JobService
from core.services.library import LibraryService
from core.search.service import SearchService
from core.services.people import PeopleService
from core.services.profiles import ProfileService
from core.services.projects import ProjectService
from core.services.providers import ProviderService
from core.services.watch import WatchService


@dataclass
class ClientServices:
    """The use cases a client process (the GUI, a CLI command, the REST API) calls, sharing one
    async database; `app.wiring.client_services` builds them."""

    projects: ProjectService
    imports: ImportService
    library: LibraryService
    jobs: JobService
    search: SearchService
    profiles: ProfileService | None = None  # analysis profiles (which stages a project's jobs run)
    people: PeopleService | None = None  # people across the library (the People page, `person:` searches)
    providers: ProviderService | None = None  # keys, routing, budgets, costs, estimates
    analysis: AnalysisService | None = None  # "analyse these paths / these videos" (import, estimate, gate, queue)
    exports: ExportService | None = None  # "export this video", the selects timeline
    watch: WatchService | None = None  # watch folders
