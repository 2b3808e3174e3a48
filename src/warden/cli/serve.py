"""``warden serve``: migrate the database and run the API with uvicorn, and
the pipeline's workers in a thread (the embedded default)."""

from __future__ import annotations

import threading

import click

from warden.cli.database import database_option
from warden.settings import get_settings
from warden.storage.database import make_engine, migrate
from warden.workers.connecting import Connectors
from warden.workers.pipeline import Pipeline


@click.command("serve")
@database_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; put a TLS-terminating reverse proxy in front for anything but localhost.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              help="Proxies trusted to set X-Forwarded-For / X-Forwarded-Proto.")
@click.option("--workers/--no-workers", default=True, show_default=True,
              help="Run the pipeline (fetch, file, publish) in this process; turn off when `warden worker` "
                   "processes do it.")
def serve_command(database_url: str, host: str, port: int, forwarded_allow_ips: str, workers: bool) -> None:
    """Run the API (/api/v1; OpenAPI at /api/v1/openapi.json).

    Needs WARDEN_SECRET_KEY and WARDEN_CREDENTIAL_KEYS unless WARDEN_ENVIRONMENT=development.
    """
    import uvicorn

    from warden.web.app import create_app

    settings = get_settings().model_copy(update={"database_url": database_url})
    engine = make_engine(settings.database_url)
    app = create_app(settings, engine)  # refuses to start without keys outside development, before any change
    migrate(engine)
    click.echo(f"database: {engine.url.render_as_string(hide_password=True)}")
    click.echo(f"Warden API on http://{host}:{port}/api/v1 (OpenAPI: /api/v1/openapi.json)")
    stop = threading.Event()
    if workers:
        state = app.state.warden
        pipeline = Pipeline(state.sessions, Connectors(state.cipher, sessions=state.sessions))
        threading.Thread(target=pipeline.run, args=(stop,), name="warden-pipeline", daemon=True).start()
        click.echo("pipeline: fetching, filing, publishing and reconciling in this process")
    try:
        uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips,
                    server_header=False, log_level="info")
    finally:
        stop.set()
