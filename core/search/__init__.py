"""core.search: see the modules; the package file lets import-linter see them."""
