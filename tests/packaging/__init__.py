"""Tests of packaging/bundle_tools, the steps build.spec runs on the bundle (run by pytest; see conftest.py)."""
