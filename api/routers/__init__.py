"""One router per resource: projects, videos, jobs, search."""
