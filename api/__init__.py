"""The local REST API (`vip serve`): FastAPI routers over core's services.

One router module per resource (routers/), Pydantic request and response schemas (schemas.py),
core's services injected with `Depends` (deps.py), and one error shape for every failure
(errors.py): `{"error": {"code", "message"}}`. core knows nothing of HTTP; app/serve_cli.py
runs this with uvicorn.
"""
