"""`vip worker`: a headless Huey consumer that runs analysis jobs.

With `--workers 1` this process is the consumer (one job at a time, on its main thread's
consumer loop). With `--workers N` it supervises N such processes, restarting any that
die, so a crash (or SIGKILL) of one never takes the others down.
"""

from __future__ import annotations

import signal
import socket
import os
import threading
from datetime import timedelta
from typing import Any

import structlog

from app.settings import Settings
from app.embedded_db import DatabaseLease
from app.wiring import build_worker_runtime, make_tasks, worker_id
from app.worker_pool import WorkerPool
from core.periodic import Periodic
from core.repositories import WorkerRepository, connect, ensure_indexes

log = structlog.get_logger(__name__)


def run_worker(settings: Settings, workers: int) -> int:
    if workers > 1:
        return _supervise(settings, workers)
    return run_consumer(settings)


def run_consumer(settings: Settings) -> int:
    """Consume analysis tasks until SIGTERM (graceful: running jobs are handed back) or SIGINT."""
    tasks = make_tasks(settings)
    consumer = tasks.huey.create_consumer(
        workers=1, worker_type="thread", periodic=True, initial_delay=0.05,  # periodic: the hourly cache purge
        backoff=1.3, max_delay=0.5, check_worker_health=True, graceful_signal="TERM",
        shutdown_timeout=15,
    )
    _graceful_signals(consumer)
    lease = DatabaseLease(settings)
    database = lease.acquire()
    client, db = connect(database)
    try:
        ensure_indexes(db)
        tasks.bind(build_worker_runtime(settings, db, tasks, consumer.stop_flag.is_set))
        me = worker_id()
        registry = WorkerRepository(db)
        registry.register(me, socket.gethostname(), os.getpid())
        registry.prune(timedelta(hours=1))

        def beat() -> None:
            registry.heartbeat(me, None)
            requeued = tasks.reap_stale_jobs()
            if requeued:
                log.warning("stale_jobs_requeued", jobs=requeued)

        log.info("worker_started", worker_id=me, db=database.uri)
        with Periodic("worker-heartbeat", settings.heartbeat_s, beat):
            consumer.run()
        registry.remove(me)
        log.info("worker_stopped", worker_id=me)
        return 0
    finally:
        client.close()
        lease.release()


def _graceful_signals(consumer: Any) -> None:
    """SIGTERM and Ctrl+C stop the consumer gracefully: a running job hands itself back to the
    queue within a progress report. Installed before the database is joined, so a signal during
    start-up still ends with the lease released (and the embedded database stopped by whoever
    leaves last); the consumer acts on it as soon as its loop runs.

    Huey turns a second graceful signal into an immediate stop (KeyboardInterrupt, which can
    land in the middle of the clean-up). SIGTERM arrives more than once when this worker's
    parent dies: the kernel sends PR_SET_PDEATHSIG (app.worker_pool) once for each of the
    parent's threads it re-parents the worker to as they exit. So repeated SIGTERMs stay graceful;
    a second Ctrl+C still stops at once.
    """
    def handle(signum: int, _frame: object) -> None:
        consumer._signum = signum
        consumer._restart, consumer._graceful = False, True
        if signum == signal.SIGINT:
            signal.signal(signum, signal.default_int_handler)

    consumer._handle_signal = handle  # what Huey installs when the consumer starts
    consumer._signal_actions[signal.SIGINT] = (False, True)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)  # until then


def _supervise(settings: Settings, workers: int) -> int:
    pool = WorkerPool(settings, workers)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    pool.start()
    log.info("worker_pool_started", workers=workers)
    while not stop.wait(1.0):
        pool.check()
    pool.stop()
    return 0
