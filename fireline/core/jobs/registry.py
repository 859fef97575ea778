"""Job handlers by kind. Built-in handlers register exactly as outside ones do:
with :func:`job_handler`, in a module the worker imports."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from fireline.core.clock import Clock
from fireline.core.config import Settings
from fireline.core.jobs.models import Job

# Modules whose handlers every worker loads; later features add theirs here.
BUILTIN_MODULES: tuple[str, ...] = (
    "fireline.core.jobs.builtin",
    "fireline.notify.email",
    "fireline.incidents.jobs",
    "fireline.alerts.jobs",
    "fireline.alerts.heartbeats",
    "fireline.oncall.jobs",
    "fireline.oncall.feed_jobs",
    "fireline.comms.status.jobs",
    "fireline.comms.stakeholders.jobs",
    "fireline.comms.rooms.jobs",
    "fireline.comms.slack.jobs",
    "fireline.security.obligations.jobs",
    "fireline.playbooks.actions",
    "fireline.postmortems.jobs",
    "fireline.exercises.jobs",
)


@dataclass(frozen=True)
class JobContext:
    """What a handler gets.

    ``session`` is the transaction that marks the job done: a handler's
    database writes commit together with its completion, so they happen
    exactly once. Effects outside the database (an e-mail, a webhook) happen
    at least once; pass ``job.idempotency_key`` or ``job.id`` to receivers so
    they can drop repeats.

    ``settings`` are the worker's, read once at its start: handlers use them
    rather than reading the environment again for every job.
    """

    session: Session
    job: Job
    payload: dict[str, Any]
    now: datetime
    clock: Clock
    settings: Settings


T = TypeVar("T")


@dataclass(frozen=True)
class Effect(Generic[T]):
    """Work a handler leaves to be done outside its transaction: a message to
    send, a request to make.

    The worker calls ``perform()`` with no transaction open (beside other
    jobs' effects, on a pool of threads, so that one slow mail server holds
    neither the database nor the queue), then ``record(ctx, result)`` in a new
    transaction that also completes the job. What ``perform`` needs must be
    plain data, not rows of the handler's session. If ``perform`` raises, or
    the worker dies before ``record`` commits, the job runs again from the
    start: effects happen at least once, as every effect of a job does.
    """

    perform: Callable[[], T]
    record: Callable[[JobContext, T], None]


class EffectNotDone(RuntimeError):
    """Raised by an effect's ``record`` when the effect did not work (a mail
    server said "later"): its job fails at once, to be retried after a
    backoff. Anything else a ``record`` raises is taken for a failure of the
    record itself, which is tried again before the job is failed."""


Handler = Callable[[JobContext], Effect[Any] | None]


class UnknownJobKind(LookupError):
    pass


_handlers: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of ``kind``; one handler per kind."""

    def register(fn: Handler) -> Handler:
        existing = _handlers.get(kind)
        if existing is not None and existing is not fn:
            raise ValueError(f"job kind {kind!r} already has a handler: {existing.__qualname__}")
        _handlers[kind] = fn
        return fn

    return register


_periodic: dict[str, timedelta] = {}


def periodic(kind: str, every: timedelta) -> None:
    """Have every worker enqueue ``kind`` once per ``every`` (one job per
    period across all workers: its idempotency key names the period)."""
    _periodic[kind] = every


def periodic_kinds() -> dict[str, timedelta]:
    return dict(_periodic)


def handler_for(kind: str) -> Handler:
    try:
        return _handlers[kind]
    except KeyError:
        raise UnknownJobKind(f"no handler is registered for job kind {kind!r}") from None


def known_kinds() -> list[str]:
    return sorted(_handlers)


def load_handler_modules(extra: Iterable[str] = ()) -> None:
    """Import the built-in handler modules and ``extra`` (FIRELINE_JOB_MODULES), whose
    ``@job_handler`` decorators register them; a module that does not import fails here,
    at the worker's start, rather than job by job."""
    for module in (*BUILTIN_MODULES, *extra):
        importlib.import_module(module)
