"""`python -m app ...` is the same as the `vip` console script (and the frozen bundle's entry)."""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()  # first: a frozen multiprocessing child must not run the app

    from app.cli import main

    raise SystemExit(main())
