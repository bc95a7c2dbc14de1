"""`vip models [--json]`: the analysis models, where each comes from and whether it is usable."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from app.settings import Settings
from core.modelstore import ModelStore


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def run_models(settings: Settings, as_json: bool, out: TextIO = sys.stdout) -> int:
    """Print one line (or JSON object) per model; exit 1 when any model is not usable."""
    statuses = ModelStore(settings.data_dir).statuses()
    if as_json:
        for s in statuses:
            out.write(json.dumps(s.to_doc()) + "\n")
    else:
        width = max([len("name")] + [len(s.name) for s in statuses])
        out.write(f"{'name':<{width}} {'status':<8} {'source':<9} {'size':>9}  purpose\n")
        for s in statuses:
            out.write(f"{s.name:<{width}} {s.status:<8} {s.source:<9} {_size(s.size):>9}  {s.purpose}\n")
            if s.problem:
                out.write(f"{'':<{width}} {s.problem}\n")
        out.write(f"models dir: {ModelStore(settings.data_dir).models_dir}\n")
    return 0 if all(s.status == "ok" for s in statuses) else 1
