"""`vip watch`: watch folders headless (with local workers), and add, list or remove them."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from app.settings import Settings
from app.wiring import Services, with_services
from app.worker_pool import WorkerPool


async def run_watch(settings: Settings, action: str, target: str | None, project: str | None, recursive: bool,
                    extensions: str | None, settle_s: float, workers: int | None, as_json: bool) -> int:
    """run (the default): scan every folder until Ctrl+C or SIGTERM; add PATH; list; remove PATH|ID."""
    async def body(services: Services) -> int:
        if action == "add":
            if target is None:
                print("vip watch add: give the folder to watch", file=sys.stderr)
                return 2
            exts = tuple(e.strip() for e in extensions.split(",") if e.strip()) if extensions else None
            folder = await services.watch.add(Path(target), project, recursive, exts, settle_s)
            print(f"watching {folder.path} for project {folder.project!r} "
                  f"({'with' if folder.recursive else 'without'} subfolders; {', '.join(folder.extensions)}; "
                  f"a file is taken once unchanged for {folder.settle_s:g} s). `vip watch` runs it headless; "
                  f"the app watches while it is open.")
            return 0
        if action == "remove":
            if target is None:
                print("vip watch remove: give the folder's path or id (`vip watch list`)", file=sys.stderr)
                return 2
            folder = await services.watch.remove(target)
            print(f"no longer watching {folder.path} (its videos stay in the library)")
            return 0
        if action == "list":
            folders = await services.watch.folders()
            for folder in folders:
                if as_json:
                    print(json.dumps({"id": folder.id, "path": folder.path, "project": folder.project,
                                      "recursive": folder.recursive, "extensions": list(folder.extensions),
                                      "settle_s": folder.settle_s, "status": folder.status, "ok": folder.ok}))
                else:
                    print(f"{folder.id[:8]}  {folder.path}  → {folder.project}  "
                          f"{'' if folder.ok else '⚠ '}{folder.status}")
            if not folders and not as_json:
                print("No watch folders. Add one: vip watch add FOLDER --project NAME")
            return 0
        return await _run(settings, services, workers)

    return await with_services(settings, body)


async def _run(settings: Settings, services: Services, workers: int | None) -> int:
    folders = await services.watch.folders()
    if not folders:
        print("vip watch: no watch folders. Add one: vip watch add FOLDER --project NAME", file=sys.stderr)
        return 2
    count = settings.workers if workers is None else workers
    pool = WorkerPool(settings, count) if count > 0 else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"vip watch: watching {len(folders)} folder{'s' if len(folders) != 1 else ''} with {count} local "
          f"worker{'s' if count != 1 else ''}; Ctrl+C stops", file=sys.stderr, flush=True)
    try:
        if pool:
            await asyncio.to_thread(pool.start)
        watching = asyncio.create_task(services.watch.run(stop))
        while not stop.is_set():
            if pool:
                await asyncio.to_thread(pool.check)
            try:
                await asyncio.wait_for(stop.wait(), 5.0)
            except TimeoutError:
                pass
        await watching
    finally:
        if pool:
            await asyncio.to_thread(pool.stop)
    return 0
