"""The REST API (api/): FastAPI TestClient against the real database; one end-to-end test with uvicorn."""
