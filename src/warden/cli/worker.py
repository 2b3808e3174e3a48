"""``warden worker``: the pipeline without the API, for scaling out.

Without ``--broker`` it runs the pipeline loop in threads against the
database (several such processes share the work through row leases). With
``--broker redis://...`` or ``amqp://...`` the steps run as Dramatiq actors
and ``--dispatch`` makes this process the one that sends the work messages.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from warden.cli.database import database_option
from warden.settings import get_settings
from warden.storage.database import make_engine, migrate, session_factory
from warden.web.state import credential_cipher, secret_key
from warden.workers.connecting import Connectors
from warden.workers.pipeline import Pipeline


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@click.command("worker")
@database_option
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--broker", envvar="WARDEN_BROKER_URL", default=None,
              help="redis://host:6379/0 or amqp://user:pass@host:5672 (env WARDEN_BROKER_URL); none: poll the "
                   "database directly.")
@click.option("--dispatch/--no-dispatch", default=False, show_default=True,
              help="With --broker: also send the work messages (run exactly one dispatcher).")
@click.option("--lease-seconds", default=120, show_default=True, type=click.IntRange(1, 3600),
              help="How long a claimed row is this worker's before another may take it over.")
@click.option("--idle", default=1.0, show_default=True, type=click.FloatRange(0.01, 60), help="Seconds to wait "
              "when there is no work.")
def worker_command(database_url: str, threads: int, broker: str | None, dispatch: bool, lease_seconds: int,
                   idle: float) -> None:
    """Fetch, file, publish, reconcile and carry out network actions.

    Needs WARDEN_SECRET_KEY and WARDEN_CREDENTIAL_KEYS (the same as `warden serve`) to read network credentials.
    """
    from datetime import timedelta

    settings = get_settings().model_copy(update={"database_url": database_url})
    cipher = credential_cipher(settings, secret_key(settings))
    engine = make_engine(settings.database_url)
    migrate(engine)
    sessions = session_factory(engine)
    pipeline = Pipeline(sessions, Connectors(cipher, sessions=sessions), lease=timedelta(seconds=lease_seconds))
    stop = threading.Event()
    _stop_on_signals(stop)
    click.echo(f"warden worker {pipeline.worker} on {engine.url.render_as_string(hide_password=True)}")
    if broker is None:
        runners = [threading.Thread(target=pipeline.run, args=(stop, idle), daemon=True) for _ in range(threads)]
        for runner in runners:
            runner.start()
        stop.wait()
        for runner in runners:
            runner.join(timeout=30)
        return
    import dramatiq

    from warden.workers.dispatch import QUEUE, broker_for, declare, run_dispatcher

    queue_broker = broker_for(broker)
    actors = declare(queue_broker, pipeline)
    consumer = dramatiq.Worker(queue_broker, queues={QUEUE}, worker_threads=threads)
    consumer.start()
    if dispatch:
        threading.Thread(target=run_dispatcher, args=(pipeline, actors, stop), daemon=True).start()
    stop.wait()
    consumer.stop()
    queue_broker.close()
