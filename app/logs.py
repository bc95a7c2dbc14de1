"""Logging: structlog everywhere, JSON lines to one file per process, readable console.

stdlib and library loggers go through the same processors, so one file holds everything
a process said, with job_id/video_id bound by the task code.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import structlog

from core.providers.redaction import redact_secrets

_KEEP_DAYS = 14


def configure_logging(role: str, log_dir: Path, console_level: int = logging.WARNING) -> Path:
    """Send all logs to `<log_dir>/<role>-<pid>.log` (JSON) and to stderr (readable).

    Returns the log file's path. Call once per process, first thing.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    _prune(log_dir)
    log_file = log_dir / f"{role}-{os.getpid()}.log"
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    file_handler = logging.FileHandler(log_file, encoding="utf-8")
    file_handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.dict_tracebacks,
            redact_secrets,  # API keys never reach a log file, tracebacks included
            structlog.processors.JSONRenderer(),
        ],
    ))
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_secrets,
            structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()),
        ],
    ))
    root = logging.getLogger()
    root.handlers[:] = [file_handler, console]
    root.setLevel(logging.INFO)
    for noisy in ("pymongo", "huey.consumer.Scheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    structlog.get_logger("vip").info("process_started", role=role, pid=os.getpid(), argv=sys.argv)
    return log_file


def _prune(log_dir: Path) -> None:
    cutoff = time.time() - _KEEP_DAYS * 86400
    for old in log_dir.glob("*.log"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
