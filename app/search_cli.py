"""`vip search` and `vip index`: search the library from a terminal; rebuild or inspect the indexes."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from typing import TextIO

from app.settings import Settings
from app.wiring import Services, with_services
from core.formatting import format_duration
from core.models.segment import Modality
from core.search.filters import SearchFilters
from core.search.results import VideoResult
from core.search.who import parse_who

async def run_search(settings: Settings, query: str, project_name: str | None, kind: str | None,
                     limit: int, as_json: bool,
                     duration: tuple[float | None, float | None] = (None, None),
                     imported: tuple[datetime | None, datetime | None] = (None, None),
                     out: TextIO = sys.stdout, who: tuple[str | None, str | None] = (None, None)) -> int:
    """Bring the index up to date, search, print; 0 with results, 1 with none, 2 on bad input."""
    async def body(services: Services) -> int:
        project_id = None
        if project_name:
            project = await services.projects.find(project_name)
            if project is None:
                print(f"vip search: no project named {project_name!r}; "
                      f"`vip jobs` lists the projects in use", file=sys.stderr)
                return 2
            project_id = project.id
        await services.search.sync()
        filters = SearchFilters(project_id=project_id, modalities=(str(Modality(kind)),) if kind else (),
                                min_duration_s=duration[0], max_duration_s=duration[1],
                                imported_after=imported[0], imported_before=imported[1],
                                person=who[0], speaker=who[1])
        words, person, _ = parse_who(query)
        if not words and not (person or who[0]):
            print("vip search: give words to search for, or a person (`--person NAME`)", file=sys.stderr)
            return 2
        results = await services.search.search(query, filters, limit)
        people = await services.people.find(words) if services.people and words and not as_json else []
        if as_json:
            for result in results:
                out.write(json.dumps(result.to_doc()) + "\n")
        else:
            for p in people:
                out.write(f"Person: {p.display_name}  ({p.count} appearances in {p.videos} videos; "
                          f"`vip search --person \"{p.display_name}\"`)\n")
            _print_results(query, results, out)
        return 0 if results or people else 1

    return await with_services(settings, body)


def _print_results(query: str, results: list[VideoResult], out: TextIO) -> None:
    if not results:
        out.write(f"No results for “{query}”\n")
        return
    badge = {"speech": "spoken", "text": "on screen", "visual": "visual", "person": "person"}
    for result in results:
        out.write(f"{result.name}  ({format_duration(result.duration_s)})  {result.path}\n")
        for hit in result.hits:
            text = hit.text if len(hit.text) <= 100 else hit.text[:97] + "…"
            out.write(f"  {format_duration(hit.start_s):>8}  {badge.get(hit.modality, hit.modality):<9}  {text}"
                      f"  [{hit.reason()}]\n")
    out.write(f"{len(results)} video{'s' if len(results) != 1 else ''}\n")


async def run_index(settings: Settings, action: str, as_json: bool, out: TextIO = sys.stdout) -> int:
    """`vip index rebuild` recreates the indexes from MongoDB; `vip index status` syncs and reports."""
    async def body(services: Services) -> int:
        started = datetime.now()
        report = await (services.search.rebuild() if action == "rebuild" else services.search.sync())
        took = (datetime.now() - started).total_seconds()
        stats = await asyncio.to_thread(services.search.stats)
        if as_json:
            out.write(json.dumps({"action": action, "videos_written": report.updated, "videos_removed": report.removed,
                                  "passages_written": report.passages, "seconds": round(took, 2),
                                  "index": stats}) + "\n")
        else:
            verb = "rebuilt" if action == "rebuild" else "brought up to date"
            out.write(f"index {verb} in {took:.1f} s: {report.updated} videos written, "
                      f"{report.removed} removed, {report.passages} passages\n")
            out.write("".join(f"  {key}: {value}\n" for key, value in stats.items()))
        return 0

    return await with_services(settings, body)
