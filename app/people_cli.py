"""`vip people`: who appears in the library; name people and merge them from a terminal."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from app.settings import Settings
from app.wiring import Services, with_services
from core.formatting import format_duration
from core.models.person import Person
from core.services.people import PeopleService


async def _pick(people: PeopleService, ref: str) -> Person | None:
    """A person by id, by "Person N", or by a name only one person's name contains."""
    exact = await people.person(ref)
    if exact is not None:
        return exact
    everyone = await people.people(include_hidden=True)
    named = [p for p in everyone if p.display_name.lower() == ref.strip().lower()]
    if len(named) == 1:
        return named[0]
    found = await people.find(ref)
    if len(found) == 1:
        return found[0]
    hint = (f"{len(found)} people match it: {', '.join(p.display_name for p in found[:5])}; use the id"
            if found else "`vip people` lists them")
    print(f"vip people: no single person {ref!r}; {hint}", file=sys.stderr)
    return None


def _doc(person: Person) -> dict[str, object]:
    return {"id": person.id, "name": person.name, "display_name": person.display_name, "appearances": person.count,
            "videos": person.videos, "not_a_face": person.not_a_face, "cover": person.cover_path}


async def run_people(settings: Settings, action: str | None, refs: list[str], as_json: bool,
                     out: TextIO = sys.stdout) -> int:
    """List people; `show REF`; `rename REF NAME`; `merge INTO OTHER...`. 0 done, 1 none found, 2 bad input."""
    async def body(services: Services) -> int:
        people = services.people
        if people is None:
            print("vip people: this build has no people service", file=sys.stderr)
            return 2
        if action in (None, "list"):
            everyone = await people.people()
            if as_json:
                out.writelines(json.dumps(_doc(p)) + "\n" for p in everyone)
            elif not everyone:
                out.write("No people yet: analyse videos with the People stage on (`vip profile`)\n")
            else:
                for p in everyone:
                    out.write(f"{p.display_name:<30} {p.count:>5} appearances in {p.videos} videos  {p.id}\n")
            return 0 if everyone else 1
        if action == "show" and len(refs) == 1:
            person = await _pick(people, refs[0])
            if person is None:
                return 2
            appearances = await people.appearances(person.id)
            names = {v.id: v.name for v in await services.library.get_many(sorted({a.video_id for a in appearances}))}
            if as_json:
                out.write(json.dumps({**_doc(person), "seen": [
                    {"video_id": a.video_id, "video": names.get(a.video_id), "start_s": a.start_s, "end_s": a.end_s}
                    for a in appearances]}) + "\n")
            else:
                out.write(f"{person.display_name}: {len(appearances)} appearances\n")
                for a in appearances:
                    out.write(f"  {names.get(a.video_id, a.video_id)}  {format_duration(a.start_s)}"
                              f"–{format_duration(a.end_s)}\n")
            return 0
        if action == "rename" and len(refs) == 2:
            person = await _pick(people, refs[0])
            if person is None:
                return 2
            renamed = await people.rename(person.id, refs[1])
            out.write(f"{person.display_name} is now {renamed.display_name}\n")
            return 0
        if action == "merge" and len(refs) >= 2:
            picked = [await _pick(people, ref) for ref in refs]
            if any(p is None for p in picked):
                return 2
            target, *others = [p for p in picked if p is not None]
            merged = await people.merge(target.id, [p.id for p in others])
            out.write(f"merged {len(others)} into {merged.display_name}: {merged.count} appearances\n")
            return 0
        print("vip people: use `vip people`, `vip people show PERSON`, `vip people rename PERSON NAME` "
              "or `vip people merge INTO OTHER...`", file=sys.stderr)
        return 2

    return await with_services(settings, body)
