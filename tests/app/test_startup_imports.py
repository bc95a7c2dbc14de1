"""The GUI shows its window before the heavy imports (benchmarks/bench_startup.py times it).

What `vip` imports up to the first paint of the main window must stay light: this fails when
a change pulls the database driver, NumPy, the models or asyncio/structlog into that path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["asyncio", "structlog", "pymongo", "numpy", "av", "cv2", "onnxruntime", "ctranslate2", "PIL",
         "usearch", "huey", "qasync", "PySide6.QtMultimedia", "core.services", "core.pipeline", "app.wiring",
         "core.models.job", "core.models.video"]  # the dataclasses: ~5-9 ms; the status enums are enough


def test_the_main_window_is_built_and_shown_without_the_heavy_modules(tmp_path: Path) -> None:
    probe = f"""
import json, sys
from app.cli import build_parser
from app.settings import Settings
build_parser().parse_args([])
Settings.load()
from PySide6.QtWidgets import QApplication
from ui.main_view import MainView
app = QApplication(sys.argv)
view = MainView()
view.show()
app.processEvents()
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "VIP_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_the_review_page_is_built_on_first_use(qtbot: Any) -> None:
    from ui.main_view import MainView

    view = MainView()
    qtbot.addWidget(view)  # deleted at this test's end, not by a garbage collection during a later test
    assert view._detail is None and not view.showing_detail()
    detail = view.detail
    assert view.detail is detail and view.pages.indexOf(detail) >= 0
    view.show_detail()
    assert view.showing_detail()
    view.close()
    assert view.was_closed
