"""The REST API (FastAPI, under /api/v1): ``create_app`` in ``warden.web.app``."""
