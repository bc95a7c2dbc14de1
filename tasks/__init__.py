"""The Huey queue and thin task wrappers around core services (no Qt, no ui)."""

from tasks.analysis import AnalysisTasks, HueyLauncher, WorkerRuntime
from tasks.queue import make_huey

__all__ = ["AnalysisTasks", "HueyLauncher", "WorkerRuntime", "make_huey"]
