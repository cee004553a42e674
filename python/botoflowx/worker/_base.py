"""What workflow and activity workers share: clients, identity and one-time registration."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from botoflowx.client._errors import error_code
from botoflowx.client._swf import (
    SessionLike,
    SWFClient,
    SWFTarget,
    client_for_target,
    resolve_target,
)

log = logging.getLogger(__name__)

# Retention registered for a domain the worker creates itself (days, SWF's string).
DEFAULT_RETENTION_DAYS = "1"
# SWF caps ``identity`` at 256 characters.
MAX_IDENTITY = 256


def default_identity() -> str:
    """``"hostname:pid"``, what SWF records as the poller identity by default."""
    return f"{socket.gethostname()}:{os.getpid()}"[:MAX_IDENTITY]


class BaseWorker:
    """Connection settings, lazily built clients and one-time registration.

    Construction makes no network call: clients are built on first use and the
    domain/types are registered by :meth:`ensure_registered`, which the
    executors and ``run_once()`` call before the first poll.

    Args:
        session: A ``boto3.Session``, a ``botocore.session.Session`` or None.
        aws_region: The AWS region.
        domain: The SWF domain.
        task_list: The task list this worker polls.
        endpoint_url: The SWF endpoint (default ``$BOTOFLOWX_ENDPOINT_URL``, then AWS).
        register_domain: Register ``domain`` if it does not exist.
        identity: The poller identity recorded by SWF (default ``hostname:pid``).
    """

    # The (args, kwargs) the worker was constructed with; set by __new__.
    _constructor_call: tuple[tuple[Any, ...], dict[str, Any]]

    def __init__(
        self,
        session: SessionLike,
        aws_region: str | None,
        domain: str,
        task_list: str,
        *,
        endpoint_url: str | None = None,
        register_domain: bool = False,
        identity: str | None = None,
    ) -> None:
        if not domain:
            raise ValueError("a worker needs a domain")
        if not task_list:
            raise ValueError("a worker needs a task list to poll")
        self.domain = domain
        self.task_list = task_list
        self.register_domain = register_domain
        self.identity = (identity or default_identity())[:MAX_IDENTITY]
        self._session = session
        self._region = aws_region
        self._endpoint_url = endpoint_url
        self._target: SWFTarget | None = None
        self._client: SWFClient | None = None
        self._poll_client: SWFClient | None = None
        self._lock = threading.Lock()
        # Registration does network I/O: it gets its own lock so clients stay
        # available to other threads meanwhile.
        self._registration_lock = threading.Lock()
        self._registered = False

    # -- connections ---------------------------------------------------------------------

    @property
    def target(self) -> SWFTarget:
        """The resolved endpoint, region and credentials (resolved on first use)."""
        with self._lock:
            if self._target is None:
                self._target = resolve_target(self._session, self._region, self._endpoint_url)
            return self._target

    @property
    def client(self) -> SWFClient:
        """A boto3 SWF client for short calls (responds, registration, heartbeats)."""
        target = self.target
        with self._lock:
            if self._client is None:
                self._client = client_for_target(target, long_poll=False)
            return self._client

    @property
    def poll_client(self) -> SWFClient:
        """A boto3 SWF client whose read timeout outlasts SWF's 60 s long poll."""
        target = self.target
        with self._lock:
            if self._poll_client is None:
                self._poll_client = client_for_target(target, long_poll=True)
            return self._poll_client

    # -- one step ----------------------------------------------------------------------------

    def poll(self) -> Any:
        """Long-poll once; return the task, or None when the poll came back empty."""
        raise NotImplementedError

    def handle(self, task: Any) -> None:
        """Run one task and answer SWF; never raises for errors of user code."""
        raise NotImplementedError

    def run_once(self) -> bool:
        """Register if needed, poll once and handle the task if one came.

        Returns:
            True when a task was received and handled.
        """
        self.ensure_registered()
        task = self.poll()
        if task is None:
            return False
        self.handle(task)
        return True

    # -- registration ----------------------------------------------------------------------

    def ensure_registered(self) -> None:
        """Register the domain (if asked) and this worker's types, once.

        Safe to call from several threads; only the first call talks to SWF,
        and a failed attempt is retried by the next call.

        Raises:
            botocore.exceptions.ClientError: SWF refused a registration call for
                a reason other than "already exists".
        """
        with self._registration_lock:
            if self._registered:
                return
            if self.register_domain:
                self._register_domain()
            self._register_types()
            self._registered = True

    def prepare(self) -> None:
        """Build what polling needs (the worker's raw transport) now, not on the first poll.

        Threaded executors call it when they start, so the first task does
        not pay for it (tens of milliseconds: the endpoint, credentials and
        proxy are resolved through a boto3 client), and an unusable setting
        fails the start instead of every poll. Idempotent; no network call.

        Raises:
            ValueError: The endpoint or proxy URL is unusable.
            OSError: The CA bundle cannot be read.
        """

    def _register_domain(self) -> None:
        try:
            self.client.register_domain(
                name=self.domain,
                description="registered by botoflowx",
                workflowExecutionRetentionPeriodInDays=DEFAULT_RETENTION_DAYS,
            )
            log.info("registered SWF domain %s", self.domain)
        except Exception as exc:
            if error_code(exc) != "DomainAlreadyExistsFault":
                raise

    # -- pickling (multiprocessing executors) ---------------------------------------------

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """Remember the constructor call: a worker pickles as that call (see __reduce__)."""
        worker = super().__new__(cls)
        worker._constructor_call = (args, kwargs)
        return worker

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the constructor call plus the public settings changed since.

        Locks, clients, caches and threads are process-local: the copy builds its own
        by running the constructor again, whatever a subclass keeps. The arguments
        must pickle (definition classes and functions by reference, activity objects
        by value). A session object cannot cross processes: the copy uses a default
        session (credentials from the environment); region, endpoint and identity
        carry over.
        """
        args, kwargs = self._constructor_call
        args = tuple(None if index == 0 else arg for index, arg in enumerate(args))
        kwargs = {k: (None if k == "session" else v) for k, v in kwargs.items()}
        # The default identity names this process; the copy names its own.
        settings = {
            name: value
            for name, value in vars(self).items()
            if not name.startswith("_")
            and name != "identity"
            and isinstance(value, (bool, int, float, str))
        }
        return (_rebuild_worker, (type(self), args, kwargs, settings))

    def _register_types(self) -> None:
        """Register this worker's types (subclasses implement it)."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the worker's HTTP connections."""
        with self._lock:
            clients = [c for c in (self._client, self._poll_client) if c is not None]
            self._client = None
            self._poll_client = None
        for client in clients:
            _close_client(client)


def _rebuild_worker(
    cls: type[BaseWorker], args: tuple[Any, ...], kwargs: dict[str, Any], settings: dict[str, Any]
) -> BaseWorker:
    """Unpickle a worker: construct it again, then restore its public settings."""
    worker = cls(*args, **kwargs)
    vars(worker).update(settings)
    return worker


def _close_client(client: Any) -> None:
    close = getattr(client, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # closing is best effort
            log.debug("closing an SWF client failed", exc_info=True)
