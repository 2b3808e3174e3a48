"""One round of every step, and the loop that repeats it.

``warden serve`` runs this loop in a thread (the embedded default);
``warden worker`` runs the same steps as Dramatiq actors. The steps are safe
to run concurrently anywhere: rows are claimed with leases, never by luck.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from warden.workers import fetching, network_tasks, publishing, reconciling
from warden.workers.connecting import ConnectorSource
from warden.workflow import inbox
from warden.workflow.unit import Clock, utcnow

log = logging.getLogger("warden.workers")


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100_000}"


@dataclass
class Round:
    fetched: int = 0
    filed: int = 0
    dead: int = 0
    published: int = 0
    reconciled: int = 0
    network_actions: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.fetched or self.filed or self.published or self.network_actions)


@dataclass
class Pipeline:
    sessions: sessionmaker[Session]
    connectors: ConnectorSource
    clock: Clock = utcnow
    worker: str = field(default_factory=worker_name)
    lease: timedelta = timedelta(minutes=2)
    fetch_interval: timedelta = timedelta(seconds=30)
    batch: int = 500  # a backlog is filed in large transactions: fewer round trips and case look-ups a message

    def file_inbox(self) -> tuple[int, int]:
        filed = dead = 0
        for organisation_id in inbox.pending_organisations(self.sessions):
            result = inbox.file_pending(self.sessions, organisation_id, self.batch, self.clock)
            filed, dead = filed + result.filed, dead + result.dead
        return filed, dead

    def run_once(self) -> Round:
        done = Round()
        done.fetched = fetching.fetch_due(self.sessions, self.connectors, self.worker, lease=self.lease,
                                          interval=self.fetch_interval, clock=self.clock).items
        done.filed, done.dead = self.file_inbox()
        done.published = publishing.publish_due(self.sessions, self.connectors, self.worker, lease=self.lease,
                                                clock=self.clock)
        done.reconciled = reconciling.reconcile_unconfirmed(self.sessions, self.connectors, clock=self.clock)
        done.network_actions = network_tasks.run_due(self.sessions, self.connectors, self.worker,
                                                     lease=self.lease, clock=self.clock)
        return done

    def run(self, stop: threading.Event, idle: float = 1.0) -> None:
        """Repeat until ``stop``; straight on while there is work, ``idle`` seconds apart when there is none."""
        while not stop.is_set():
            try:
                busy = self.run_once().busy
            except Exception:
                log.exception("pipeline round failed; trying again shortly")
                busy = False
            if not busy:
                stop.wait(idle)
