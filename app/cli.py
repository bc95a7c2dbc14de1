"""The `vip` command: GUI by default; `worker`, `analyze`, `serve`, `export`, `jobs`, `models`, `db`, `profile` for headless use."""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from datetime import datetime, timezone
from pathlib import Path

from app.settings import Settings
from core.models.segment import Modality
from core.models.status import JobStatus


def _date(text: str) -> datetime:
    """A day on the command line, as the start of that day in UTC."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-27") from None


# core.export.FORMATS (kept here as names: the GUI's start-up imports this module and
# not the exporters; tests/app/test_cli.py checks that the two lists agree).
EXPORT_FORMATS = ["csv", "json", "edl", "contact-sheet", "srt", "vtt", "summary-md", "summary-json", "otio", "fcpxml",
                  "xmeml", "resolve-markers", "avid-markers", "youtube-chapters"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vip", description="VIP Desktop — video intelligence workstation")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation end to end in a temporary data dir (database, a worker, "
                             "analysis of a generated clip, search, the main window offscreen); exit 0 if all passed")
    parser.add_argument("--keep", action="store_true", dest="self_test_keep",
                        help="with --self-test: keep the temporary data dir (and its logs) and print where")
    parser.add_argument("--json", action="store_true", dest="self_test_json",
                        help="with --self-test: end with one JSON object (steps, status, timings)")
    parser.add_argument("--stress", action="store_true", dest="self_test_stress",
                        help="with --self-test: also open, play, seek and close the player 200 times "
                             "under a watchdog (about a minute)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("gui", help="open the desktop app (the default)")
    worker = sub.add_parser("worker", help="run analysis workers headless (stop with Ctrl+C)")
    worker.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: VIP_WORKERS, else the CPU count)")
    analyze = sub.add_parser("analyze", help="import videos and analyse them, with progress bars")
    analyze.add_argument("paths", nargs="+", type=Path, help="video files or folders (recursive)")
    analyze.add_argument("--project", default=None, help="project name (default: Default; created if missing)")
    analyze.add_argument("--json", action="store_true", help="print one JSON object per video")
    analyze.add_argument("--force", action="store_true", help="re-run stages that are up to date")
    analyze.add_argument("--no-wait", action="store_true",
                         help="queue the analysis, print each job id and return (`vip jobs wait JOB_ID` follows)")
    analyze.add_argument("--yes", action="store_true",
                         help="queue even when the estimated cloud cost would pass the project's budget")
    export = sub.add_parser("export", help="export a video's shot list, contact sheet, subtitles or summary")
    export.add_argument("video", help="the video's path, file name or id")
    export.add_argument("--format", required=True, choices=EXPORT_FORMATS,
                        help="a shot list, the contact sheet, subtitles, the summary, or for editing software: "
                             "the video with its markers as OTIO, FCPXML (Final Cut Pro, Resolve) or xmeml "
                             "(Premiere), Resolve/Avid marker lists, YouTube chapters")
    export.add_argument("--output", "-o", type=Path, default=None,
                        help="file to write (default: standard output; contact sheet: NAME-contact-sheet.jpg)")
    export.add_argument("--track", choices=["original", "translation", "both"], default="original",
                        help="subtitles: the spoken language, the translation (translate stage), or both, "
                             "the translation under each line (default: original)")
    export.add_argument("--no-speakers", action="store_true",
                        help="subtitles: leave out the speaker names (\"Speaker 1: ...\")")
    selects = sub.add_parser("selects", help="a timeline of picked ranges (subclips of the original files, "
                             "with handles) for editing software")
    selects.add_argument("picks", nargs="+", metavar="VIDEO@START-END[=NAME]",
                         help="a video (path, file name or id) and a range in seconds, e.g. clip.mp4@12.5-20=harbour")
    selects.add_argument("--format", required=True, choices=["otio", "fcpxml", "xmeml"])
    selects.add_argument("--handles", type=int, default=0, metavar="FRAMES",
                         help="frames added before and after each range, as far as the file allows (default 0)")
    selects.add_argument("--name", default="Selects", help="the timeline's name (default: Selects)")
    selects.add_argument("--output", "-o", type=Path, default=None, help="file to write (default: standard output)")
    search = sub.add_parser("search", help="search the library by spoken words, on-screen text and meaning")
    search.add_argument("query", nargs="?", default="",
                        help="words or a question; put exact phrases in double quotes")
    search.add_argument("--project", help="search one project (default: all projects)")
    search.add_argument("--kind", choices=[str(m) for m in Modality], help="only spoken words, on-screen text "
                        "or visual captions")
    search.add_argument("--min-duration", type=float, metavar="S", help="only videos at least S seconds long")
    search.add_argument("--max-duration", type=float, metavar="S", help="only videos at most S seconds long")
    search.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="only videos imported on or after this day")
    search.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="only videos imported before this day")
    search.add_argument("--person", metavar="NAME", help="only moments when this person is on screen "
                        "(alone, without other words: every appearance); also `person:NAME` in the query")
    search.add_argument("--speaker", metavar="NAME", help="only spoken moments of this speaker "
                        "(a name given in the transcript, or \"Speaker 2\"); also `speaker:NAME` in the query")
    search.add_argument("--limit", type=int, default=10, help="at most this many videos (default 10)")
    search.add_argument("--json", action="store_true", help="one JSON object per video (stable format)")
    index = sub.add_parser("index", help="the local search indexes: rebuild them from the database, or show them")
    index.add_argument("action", choices=["rebuild", "status"])
    index.add_argument("--json", action="store_true")
    providers = sub.add_parser("providers", help="cloud providers: where their keys come from; set, remove, test")
    providers.add_argument("action", nargs="?", default="list", choices=["list", "set-key", "remove-key", "test"])
    providers.add_argument("name", nargs="?", choices=["openai", "gemini"])
    providers.add_argument("--model", help="with test: check that this model is offered")
    providers.add_argument("--json", action="store_true")
    route = sub.add_parser("route", help="show or set which provider does each capability for a project")
    route.add_argument("project")
    route.add_argument("capability", nargs="?", choices=["transcriber", "ocr", "faces", "embedder", "captioner",
                                                         "summarizer"])
    route.add_argument("target", nargs="?", help="`local` or PROVIDER/MODEL, e.g. openai/gpt-4o-mini")
    budget = sub.add_parser("budget", help="show or set a project's budget for paid providers (USD)")
    budget.add_argument("project")
    budget.add_argument("amount", nargs="?", help="USD, or `none` for no cap")
    costs = sub.add_parser("costs", help="what the providers cost: per project, provider or day")
    costs.add_argument("--by", choices=["project", "provider", "day"], default="project")
    costs.add_argument("--project")
    costs.add_argument("--json", action="store_true")
    # -- `vip profile` (app/profile_cli.py) --
    profile = sub.add_parser("profile", help="show or set which analysis stages a project's jobs run")
    profile.add_argument("--project", default=None, help="project name (default: Default; needed to change it)")
    profile.add_argument("--on", action="append", metavar="STAGES", help="switch stages on, e.g. translate,speakers")
    profile.add_argument("--off", action="append", metavar="STAGES", help="switch stages off, e.g. speakers,people")
    profile.add_argument("--translate-to", metavar="LANG", help="the translation's target language, e.g. en or de")
    profile.add_argument("--json", action="store_true", help="print one JSON object")
    models = sub.add_parser("models", help="list the analysis models: source, size, status")
    models.add_argument("--json", action="store_true", help="print one JSON object per model")
    db = sub.add_parser("db", help="the embedded database: back it up, list backups, restore one, check it")
    db_actions = db.add_subparsers(dest="db_action", required=True)
    db_backup = db_actions.add_parser("backup", help="copy the database now (safe while the app runs)")
    db_backup.add_argument("--to", type=Path, metavar="DIR", help="into DIR (default: <data dir>/backups)")
    db_restore = db_actions.add_parser("restore", help="replace the database with a backup (close the app first)")
    db_restore.add_argument("backup", type=Path, help="a backup folder (`vip db backups` lists them)")
    db_actions.add_parser("check", help="check each database file, then that the server answers")
    db_list = db_actions.add_parser("backups", help="list the backups, newest first")
    db_list.add_argument("--json", action="store_true", help="one JSON object per backup")
    people = sub.add_parser("people", help="people seen across the library: list, show, rename, merge")
    people.add_argument("people_action", nargs="?", choices=["list", "show", "rename", "merge"], default=None)
    people.add_argument("refs", nargs="*", help="a person (id, name or \"Person N\"), then a new name or more people")
    people.add_argument("--json", action="store_true", help="one JSON object per person")
    watch = sub.add_parser("watch", help="watch folders: analyse the videos dropped into them (run, add, list, remove)",
                           description="vip watch: scan the watch folders until Ctrl+C (with local workers); "
                                       "vip watch add FOLDER --project NAME; vip watch list; vip watch remove FOLDER")
    watch.add_argument("watch_action", nargs="?", default="run", choices=["run", "add", "list", "remove"])
    watch.add_argument("folder", nargs="?", help="add: the folder to watch; remove: its path or id")
    watch.add_argument("--project", default=None, help="add: the project its videos go to, with that project's "
                       "analysis profile (default: Default; created if missing)")
    watch.add_argument("--no-recursive", action="store_true", help="add: not the subfolders")
    watch.add_argument("--ext", default=None, metavar="EXTS", help="add: only these extensions, e.g. mp4,mov "
                       "(default: the common video ones)")
    watch.add_argument("--settle", type=float, default=10.0, metavar="S", help="add: take a file once its size "
                       "and mtime stayed the same this long (default 10 s)")
    watch.add_argument("--workers", type=int, default=None, help="run: local worker processes (default: "
                       "VIP_WORKERS, else the CPU count; 0: none)")
    watch.add_argument("--json", action="store_true", help="list: one JSON object per folder")
    serve = sub.add_parser("serve", help="the local REST API (OpenAPI at /docs), with local workers")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this "
                       "machine only)")
    serve.add_argument("--port", type=int, default=8770, help="port (default 8770)")
    serve.add_argument("--workers", type=int, default=None,
                       help="local worker processes (default: VIP_WORKERS, else the CPU count; 0: none)")
    serve.add_argument("--show-token", action="store_true", help="print the API's bearer token and exit")
    jobs = sub.add_parser("jobs", help="list recent jobs, show one, or wait for jobs to finish",
                          description="vip jobs [--status S]: recent jobs; vip jobs JOB_ID...: their records; "
                                      "vip jobs wait JOB_ID...: progress until they end (exit 0 if all succeeded)")
    jobs.add_argument("refs", nargs="*", metavar="[wait] JOB_ID",
                      help="job ids, or their first 8 characters as listed; `wait` first follows them to the end")
    jobs.add_argument("--status", choices=[str(s) for s in JobStatus], help="only jobs in this status")
    jobs.add_argument("--json", action="store_true", help="print one JSON object per job")
    jobs.add_argument("--project", default=None, help="only jobs of this project")
    jobs.add_argument("--limit", type=int, default=50)
    return parser


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        if args.command:
            parser.error("--self-test takes no command")
        from app.self_test import run_self_test

        return run_self_test(keep=args.self_test_keep, as_json=args.self_test_json, stress=args.self_test_stress)
    if args.self_test_keep or args.self_test_json or args.self_test_stress:
        parser.error("--keep, --json and --stress before a command go with --self-test (`vip --self-test --json`)")
    command = args.command or "gui"
    settings = Settings.load()
    if command == "gui":
        # The GUI path imports almost nothing before its window shows (app.gui); logging,
        # asyncio and the services come after the first paint.
        from app.gui import run_gui

        try:
            return run_gui(settings)
        except KeyboardInterrupt:
            print("vip: interrupted", file=sys.stderr)
            return 130
    return _run_command(command, args, settings)


def _run_command(command: str, args: argparse.Namespace, settings: Settings) -> int:
    """The headless commands: each configures logging, then imports what it needs."""
    import asyncio
    import logging

    from app.embedded_db import EmbeddedDatabaseError
    from app.logs import configure_logging

    try:
        if command == "worker":
            configure_logging("worker", settings.log_dir, console_level=logging.INFO)
            from app.worker import run_worker

            return run_worker(settings, args.workers or settings.workers)
        if command == "analyze":
            configure_logging("analyze", settings.log_dir)
            from app.analyze_cli import run_analyze

            return asyncio.run(run_analyze(settings, args.paths, args.project, args.json, args.force, args.yes,
                                           wait=not args.no_wait))
        if command == "export":
            configure_logging("cli", settings.log_dir)
            from app.export_cli import run_export

            return asyncio.run(run_export(settings, args.video, args.format, args.output, args.track,
                                          not args.no_speakers))
        if command == "selects":
            configure_logging("cli", settings.log_dir)
            from app.export_cli import run_selects

            return asyncio.run(run_selects(settings, args.picks, args.format, args.handles, args.name, args.output))
        if command == "search":
            configure_logging("cli", settings.log_dir)
            from app.search_cli import run_search

            return asyncio.run(run_search(settings, args.query, args.project, args.kind, args.limit, args.json,
                                          (args.min_duration, args.max_duration), (args.since, args.until),
                                          who=(args.person, args.speaker)))
        if command == "people":
            configure_logging("cli", settings.log_dir)
            from app.people_cli import run_people

            return asyncio.run(run_people(settings, args.people_action, args.refs, args.json))
        if command == "index":
            configure_logging("cli", settings.log_dir)
            from app.search_cli import run_index

            return asyncio.run(run_index(settings, args.action, args.json))
        if command in ("providers", "route", "budget", "costs"):
            configure_logging("cli", settings.log_dir)
            from app import providers_cli

            if command == "providers":
                return asyncio.run(providers_cli.run_providers(settings, args.action, args.name, args.model,
                                                               args.json))
            if command == "route":
                return asyncio.run(providers_cli.run_route(settings, args.project, args.capability, args.target))
            if command == "budget":
                return asyncio.run(providers_cli.run_budget(settings, args.project, args.amount))
            return asyncio.run(providers_cli.run_costs(settings, args.by, args.project, args.json))
        if command == "profile":
            configure_logging("cli", settings.log_dir)
            from app.profile_cli import run_profile

            return asyncio.run(run_profile(settings, args.project, args.on, args.off, args.translate_to, args.json))
        if command == "db":
            configure_logging("cli", settings.log_dir)
            from app.db_cli import run_db

            return run_db(settings, args.db_action, backup=getattr(args, "backup", None),
                          to=getattr(args, "to", None), as_json=getattr(args, "json", False))
        if command == "models":
            from app.models_cli import run_models

            return run_models(settings, args.json)
        if command == "watch":
            configure_logging("watch", settings.log_dir, console_level=logging.WARNING)
            from app.watch_cli import run_watch

            return asyncio.run(run_watch(settings, args.watch_action, args.folder, args.project,
                                         not args.no_recursive, args.ext, args.settle, args.workers, args.json))
        if command == "serve":
            configure_logging("serve", settings.log_dir, console_level=logging.WARNING)
            from app.serve_cli import run_serve

            return run_serve(settings, args.host, args.port, args.show_token, args.workers)
        if command == "jobs":
            configure_logging("cli", settings.log_dir)
            from app.analyze_cli import run_jobs

            return asyncio.run(run_jobs(settings, args.project, args.json, args.limit, args.status, args.refs))
        raise AssertionError(f"unhandled command {command}")
    except EmbeddedDatabaseError as exc:
        print(f"vip: {exc}", file=sys.stderr)
        return 3
    except Exception as exc:
        from app.db_backup import corruption_message, is_corruption_error

        if settings.mongo_uri is None and is_corruption_error(exc):  # SQLite damage seen through FerretDB
            print(f"vip: {corruption_message(settings.data_dir, exc)}", file=sys.stderr)
            return 3
        raise
    except KeyboardInterrupt:
        note = ""
        if command == "analyze":
            note = ("; unfinished jobs stay queued and resume when workers run again "
                    "(`vip worker`, the app, or `vip analyze` with the same files)")
        print(f"vip: interrupted{note}", file=sys.stderr)
        return 130
