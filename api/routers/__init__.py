"""One router per resource: projects, videos, exports, jobs, search, costs, providers."""
