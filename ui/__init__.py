"""PySide6 views. Data comes through core services; work starts through JobService."""
