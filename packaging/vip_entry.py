"""Entry point of the frozen app (PyInstaller): the same as the `vip` console script.

`vip` opens the GUI; `vip worker`, `vip analyze`, … run headless. Worker processes of the
frozen app are started as `[sys.executable, "worker", ...]`, so they come through here too.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # first, before anything else (docs/PITFALLS.md, "PyInstaller")
    from app.cli import main

    sys.exit(main())
