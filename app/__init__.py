"""Composition root: CLI, settings, logging, processes, the embedded database, wiring."""
