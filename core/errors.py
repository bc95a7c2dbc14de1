"""Domain errors: each carries a message an operator can act on."""

from __future__ import annotations


class VipError(Exception):
    """Base class of the errors VIP Desktop explains to its user."""


class MediaError(VipError):
    """A video file cannot be analysed: names the file, what is wrong and what to do."""

    def __init__(self, path: str, problem: str, hint: str = "") -> None:
        self.path = path
        self.problem = problem
        self.hint = hint
        text = f"{path}: {problem}"
        if hint:
            text += f" — {hint}"
        super().__init__(text)


class JobCanceled(VipError):
    """The operator asked to cancel the job; raised inside a stage at a progress report."""


class JobInterrupted(VipError):
    """The worker is shutting down; the job goes back to the queue and resumes later."""


class JobLost(JobInterrupted):
    """The job is no longer this attempt's: its heartbeats went missing (a starved or stalled
    worker), the reaper handed it back and another worker may be running it. This attempt
    stops and writes nothing more: not the job, not the video, not its scratch files."""


class NotFound(VipError):
    """A project, video or job that the caller named does not exist."""


class Conflict(VipError):
    """The thing exists but is in a state that forbids the action (a video being analysed cannot
    be removed; only a failed or canceled job can be retried)."""


class ModelError(VipError):
    """A model is missing or corrupt: names the model, what is wrong and how to install it."""

    def __init__(self, model: str, problem: str, fix: str) -> None:
        self.model = model
        self.problem = problem
        self.fix = fix
        super().__init__(f"Model {model!r}: {problem} — {fix}")
