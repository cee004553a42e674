"""Activity retries in workflow code: @retry_activity, RetryPolicy and the durable retry loop.

A retried activity is one ``ScheduleActivityTask`` per attempt. Between attempts the loop
waits on a durable timer (``workflow_time.sleep``), and every decision it takes (stop or
go on, how long to wait) reads only the workflow clock, the attempt number and, for the
random waits, a generator seeded from the run id and the activity id, so replaying the
history makes exactly the same decisions.

Two ways to describe a retry, both usable with ``@retry_activity``, ``@activity(retry=)``,
``@activities(retry=)``, ``ActivityType(retry=)`` and ``activity_options(retry=)``:

* :class:`RetryPolicy`, Temporal's shape: exponential backoff with a cap, a maximum number
  of attempts and errors that are never retried.
* :class:`ActivityRetrying`, botoflow's shape (the parameters of the ``retrying``
  library, with every duration in SECONDS), built by ``@retry_activity(...)``.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
import math
import random
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from botoflowx.exceptions import (
    ActivityTaskFailedError,
    ActivityTaskTimedOutError,
    BotoflowError,
    CancelledError,
    PayloadTooLargeError,
    ScheduleActivityTaskFailedError,
)
from botoflowx.workflow._coroutines import Task
from botoflowx.workflow._futures import Future
from botoflowx.workflow._loop import get_current_loop

if TYPE_CHECKING:
    from botoflowx.activity._meta import ActivityMeta
    from botoflowx.workflow._context import WorkflowRuntime

__all__ = [
    "HEARTBEAT_DETAILS_KWARG",
    "ActivityRetrying",
    "RetryError",
    "RetryPolicy",
    "RetryStrategy",
    "retry_activity",
    "retry_on_exception",
    "schedule_with_retry",
]

F = TypeVar("F")

log = logging.getLogger("botoflowx.workflow")

# The keyword argument that carries the last heartbeat details of a timed-out attempt
# into the next attempt's input. The activity worker removes it before calling the
# activity and exposes it as ``get_context().heartbeat_details``; SWF has no other field
# that reaches the activity worker (``control`` stays with the decider).
HEARTBEAT_DETAILS_KWARG = "__botoflowx_heartbeat_details__"

# Where a retry decorator parks its strategy on a plain function, so ``@activity``
# finds it when ``@retry_activity`` was applied first (decorator order is irrelevant).
RETRY_ATTRIBUTE = "__botoflowx_retry__"

# Schedule failures worth another attempt: SWF refused only for now. Every other cause
# (unknown or deprecated type, missing default timeouts...) fails the same way again.
_TRANSIENT_SCHEDULE_CAUSES = frozenset(
    {"ACTIVITY_CREATION_RATE_EXCEEDED", "OPEN_ACTIVITIES_LIMIT_EXCEEDED"}
)

# retrying's defaults, in seconds: random waits between 0 and 1 s, incrementing waits
# growing by 0.1 s, exponential waits effectively unbounded.
_RANDOM_MIN = 0.0
_RANDOM_MAX = 1.0
_INCREMENT_START = 0.0
_INCREMENT = 0.1
_EXPONENTIAL_MULTIPLIER = 1.0
_EXPONENTIAL_MAX = float(2**30)
# What a bare @retry_activity does: three attempts one second apart (botoflow's
# defaults), never an unbounded loop nobody asked for.
_DEFAULT_ATTEMPTS = 3
_DEFAULT_WAIT = 1.0
# No execution outlives a year (SWF's limit), so no wait needs to be longer; it also
# keeps an unbounded exponential wait within the timer's 8-digit duration field.
MAX_WAIT = 366 * 24 * 3600.0


class RetryError(BotoflowError):
    """A retried activity gave up.

    Raised when the last attempt's *result* was rejected by ``retry_on_result``, or,
    with ``wrap_exception=True``, instead of the last attempt's exception.

    Attributes:
        attempts: How many attempts were made.
        last_result: The last attempt's result (None when it raised).
        last_exception: The last attempt's exception (None when it returned).
    """

    def __init__(
        self,
        message: str = "",
        *,
        attempts: int = 0,
        last_result: Any = None,
        last_exception: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_result = last_result
        self.last_exception = last_exception
        if last_exception is not None:
            self.__cause__ = last_exception


class RetryStrategy(abc.ABC):
    """What the retry loop asks after each attempt. Implementations must be deterministic.

    Durations are seconds; ``elapsed`` is workflow time since the first attempt was
    scheduled.
    """

    @abc.abstractmethod
    def retries_error(self, error: BaseException) -> bool:
        """Whether a failed attempt (``error``) may be retried."""

    def retries_result(self, result: Any) -> bool:
        """Whether a successful attempt's ``result`` should be retried (default: never)."""
        return False

    @abc.abstractmethod
    def stops(self, attempt: int, elapsed: float) -> bool:
        """Whether to give up after attempt number ``attempt`` (1-based)."""

    @abc.abstractmethod
    def delay(self, attempt: int, elapsed: float, rng: random.Random) -> float:
        """Seconds to wait before the attempt after ``attempt``.

        ``rng`` is seeded from the run, the activity and the attempt, so a random wait
        is the same on every replay; use it rather than the ``random`` module.
        """

    def give_up(self, attempt: int, error: BaseException) -> BaseException:
        """The exception the caller sees when the last attempt failed with ``error``."""
        return error


def _is_error_spec(spec: Any) -> bool:
    return isinstance(spec, str) or (isinstance(spec, type) and issubclass(spec, BaseException))


def _type_names(error: BaseException) -> set[str]:
    # The names an error is known by: its class and bases, and for a converter stand-in
    # the remote type it stands for (unregistered exceptions arrive as stand-ins).
    names: set[str] = set()
    for klass in type(error).__mro__:
        names.add(klass.__name__)
        names.add(f"{klass.__module__}.{klass.__qualname__}")
    remote = getattr(error, "type_name", None)
    if isinstance(remote, str) and remote:
        names.add(remote)
        names.add(remote.rsplit(".", 1)[-1])
    return names


def _matches(error: BaseException, spec: type[BaseException] | str) -> bool:
    if isinstance(spec, str):
        return spec in _type_names(error)
    if isinstance(error, spec):
        return True
    remote = getattr(error, "type_name", None)
    return isinstance(remote, str) and remote == f"{spec.__module__}.{spec.__qualname__}"


def error_matches(error: BaseException, specs: Iterable[type[BaseException] | str]) -> bool:
    """Whether ``error``, or the activity exception it wraps, matches one of ``specs``.

    A spec is an exception class or a type name (``"ValueError"``,
    ``"myapp.errors.Declined"``). An activity's exception arrives as the ``cause`` of
    ActivityTaskFailedError; when its type is not registered with the converter it is a
    stand-in that keeps the remote type's name, which is matched by name (register the
    type to also match its subclasses).
    """
    candidates: list[BaseException] = [error]
    cause = getattr(error, "cause", None)
    if isinstance(error, ActivityTaskFailedError) and isinstance(cause, BaseException):
        candidates.append(cause)
    return any(_matches(candidate, spec) for candidate in candidates for spec in specs)


def _retryable_by_default(error: BaseException) -> bool:
    if isinstance(error, CancelledError):
        return False  # a cancellation is an instruction, never a transient failure
    if isinstance(error, ScheduleActivityTaskFailedError):
        return error.cause in _TRANSIENT_SCHEDULE_CAUSES
    return True


def _check_seconds(value: Any, name: str, *, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'more than' if positive else 'at least'} 0, got {value}")


@dataclasses.dataclass(frozen=True)
class RetryPolicy(RetryStrategy):
    """Exponential backoff between attempts (Temporal's RetryPolicy, in seconds).

    The wait after attempt ``n`` is ``initial_interval * backoff_coefficient ** (n - 1)``,
    capped at ``maximum_interval``.

    Args:
        initial_interval: Seconds before the second attempt (more than 0).
        backoff_coefficient: Factor by which each wait grows (at least 1).
        maximum_interval: Longest wait in seconds; None means 100 x ``initial_interval``.
        maximum_attempts: Attempts in all, the first included; None retries until the
            activity succeeds (or the workflow's own timeout ends it).
        non_retryable_errors: Exception classes or type names never retried; matched
            against the error and the activity's exception (see :func:`error_matches`).

    Cancellations are never retried, nor are schedule failures other than SWF's rate
    and open-activity limits.

    Raises:
        TypeError, ValueError: a parameter is out of range.
    """

    initial_interval: float = 1.0
    backoff_coefficient: float = 2.0
    maximum_interval: float | None = None
    maximum_attempts: int | None = None
    non_retryable_errors: tuple[type[BaseException] | str, ...] = ()

    def __post_init__(self) -> None:
        _check_seconds(self.initial_interval, "RetryPolicy(initial_interval=...)", positive=True)
        _check_seconds(self.backoff_coefficient, "RetryPolicy(backoff_coefficient=...)")
        if self.backoff_coefficient < 1:
            raise ValueError(
                f"RetryPolicy(backoff_coefficient=...) must be at least 1, got "
                f"{self.backoff_coefficient}"
            )
        if self.maximum_interval is not None:
            _check_seconds(self.maximum_interval, "RetryPolicy(maximum_interval=...)")
            if self.maximum_interval < self.initial_interval:
                raise ValueError(
                    "RetryPolicy(maximum_interval=...) must not be shorter than "
                    f"initial_interval ({self.maximum_interval} < {self.initial_interval})"
                )
        if self.maximum_attempts is not None and (
            isinstance(self.maximum_attempts, bool)
            or not isinstance(self.maximum_attempts, int)
            or self.maximum_attempts < 1
        ):
            raise ValueError(
                "RetryPolicy(maximum_attempts=...) must be a positive integer or None "
                f"(unlimited), got {self.maximum_attempts!r}"
            )
        errors = self.non_retryable_errors
        if isinstance(errors, (str, type)):
            errors = (errors,)
        errors = tuple(errors)
        for spec in errors:
            if not _is_error_spec(spec):
                raise TypeError(
                    "RetryPolicy(non_retryable_errors=...) takes exception classes or type "
                    f"names, got {spec!r}"
                )
        object.__setattr__(self, "non_retryable_errors", errors)

    @property
    def effective_maximum_interval(self) -> float:
        """The cap on waits: ``maximum_interval``, or 100 x ``initial_interval``."""
        if self.maximum_interval is not None:
            return float(self.maximum_interval)
        return 100.0 * self.initial_interval

    def retries_error(self, error: BaseException) -> bool:
        """Retry anything but cancellations, fatal schedule failures and listed errors."""
        return _retryable_by_default(error) and not error_matches(error, self.non_retryable_errors)

    def stops(self, attempt: int, elapsed: float) -> bool:
        """Stop once ``maximum_attempts`` attempts were made."""
        return self.maximum_attempts is not None and attempt >= self.maximum_attempts

    def delay(self, attempt: int, elapsed: float, rng: random.Random) -> float:
        """``initial_interval * backoff_coefficient ** (attempt - 1)``, capped."""
        cap = self.effective_maximum_interval
        # Compare exponents rather than computing a huge power after many attempts.
        if self.backoff_coefficient > 1 and (attempt - 1) * math.log(
            self.backoff_coefficient
        ) >= math.log(cap / self.initial_interval):
            return cap
        return min(cap, self.initial_interval * self.backoff_coefficient ** (attempt - 1))


class ActivityRetrying(RetryStrategy):
    """botoflow's retry configuration (the ``retrying`` library's, durations in SECONDS).

    Built by ``@retry_activity(...)``; see there for the parameters. Stop conditions
    combine with "any", waits with "max", as in ``retrying``.
    """

    def __init__(
        self,
        stop_max_attempt_number: int | None = None,
        stop_max_delay: float | None = None,
        wait_fixed: float | None = None,
        wait_random_min: float | None = None,
        wait_random_max: float | None = None,
        wait_incrementing_start: float | None = None,
        wait_incrementing_increment: float | None = None,
        wait_exponential_multiplier: float | None = None,
        wait_exponential_max: float | None = None,
        retry_on_exception: Callable[[BaseException], bool] | None = None,
        retry_on_result: Callable[[Any], bool] | None = None,
        wrap_exception: bool = False,
        stop_func: Callable[[int, float], bool] | None = None,
        wait_func: Callable[[int, float], float] | None = None,
    ) -> None:
        """Validate and record the configuration (see :func:`retry_activity`)."""
        if stop_max_attempt_number is not None and (
            isinstance(stop_max_attempt_number, bool)
            or not isinstance(stop_max_attempt_number, int)
            or stop_max_attempt_number < 1
        ):
            raise ValueError(
                "retry_activity(stop_max_attempt_number=...) must be a positive integer, got "
                f"{stop_max_attempt_number!r}"
            )
        seconds = {
            "stop_max_delay": stop_max_delay,
            "wait_fixed": wait_fixed,
            "wait_random_min": wait_random_min,
            "wait_random_max": wait_random_max,
            "wait_incrementing_start": wait_incrementing_start,
            "wait_exponential_multiplier": wait_exponential_multiplier,
            "wait_exponential_max": wait_exponential_max,
        }
        for name, value in seconds.items():
            if value is not None:
                _check_seconds(value, f"retry_activity({name}=...)")
        if wait_incrementing_increment is not None and (
            isinstance(wait_incrementing_increment, bool)
            or not isinstance(wait_incrementing_increment, (int, float))
        ):
            raise TypeError(
                "retry_activity(wait_incrementing_increment=...) must be a number of seconds, "
                f"got {wait_incrementing_increment!r}"
            )
        for name, func in (
            ("retry_on_exception", retry_on_exception),
            ("retry_on_result", retry_on_result),
            ("stop_func", stop_func),
            ("wait_func", wait_func),
        ):
            if func is not None and not callable(func):
                raise TypeError(f"retry_activity({name}=...) must be callable, got {func!r}")
        self.stop_max_attempt_number = stop_max_attempt_number
        self.stop_max_delay = stop_max_delay
        self.wait_fixed = wait_fixed
        self.wait_random_min = wait_random_min
        self.wait_random_max = wait_random_max
        self.wait_incrementing_start = wait_incrementing_start
        self.wait_incrementing_increment = wait_incrementing_increment
        self.wait_exponential_multiplier = wait_exponential_multiplier
        self.wait_exponential_max = wait_exponential_max
        self.retry_on_exception = retry_on_exception
        self.retry_on_result = retry_on_result
        self.wrap_exception = bool(wrap_exception)
        self.stop_func = stop_func
        self.wait_func = wait_func
        random_min = _RANDOM_MIN if wait_random_min is None else float(wait_random_min)
        random_max = _RANDOM_MAX if wait_random_max is None else float(wait_random_max)
        if (wait_random_min is not None or wait_random_max is not None) and random_max < random_min:
            raise ValueError(
                f"retry_activity(wait_random_max={random_max}) is below wait_random_min="
                f"{random_min}"
            )
        self._random = (
            (random_min, random_max)
            if wait_random_min is not None or wait_random_max is not None
            else None
        )

    # -- the strategy -------------------------------------------------------------------

    def retries_error(self, error: BaseException) -> bool:
        """Retry per ``retry_on_exception`` (default: any error but a cancellation)."""
        if not _retryable_by_default(error):
            return False
        if self.retry_on_exception is None:
            return True
        return bool(self.retry_on_exception(error))

    def retries_result(self, result: Any) -> bool:
        """Retry a result ``retry_on_result`` rejects (default: accept every result)."""
        return self.retry_on_result is not None and bool(self.retry_on_result(result))

    def stops(self, attempt: int, elapsed: float) -> bool:
        """Stop per ``stop_func``, else when any configured limit is reached."""
        if self.stop_func is not None:
            return bool(self.stop_func(attempt, elapsed))
        limits = []
        if self.stop_max_attempt_number is not None:
            limits.append(attempt >= self.stop_max_attempt_number)
        if self.stop_max_delay is not None:
            limits.append(elapsed >= self.stop_max_delay)
        if not limits:
            return attempt >= _DEFAULT_ATTEMPTS
        return any(limits)

    def delay(self, attempt: int, elapsed: float, rng: random.Random) -> float:
        """``wait_func``'s answer, else the longest of the configured waits."""
        if self.wait_func is not None:
            return float(self.wait_func(attempt, elapsed))
        waits = [0.0]
        configured = False
        if self.wait_fixed is not None:
            configured = True
            waits.append(float(self.wait_fixed))
        if self._random is not None:
            configured = True
            low, high = self._random
            waits.append(rng.uniform(low, high))
        if self.wait_incrementing_start is not None or self.wait_incrementing_increment is not None:
            configured = True
            start = (
                _INCREMENT_START
                if self.wait_incrementing_start is None
                else self.wait_incrementing_start
            )
            step = (
                _INCREMENT
                if self.wait_incrementing_increment is None
                else self.wait_incrementing_increment
            )
            waits.append(max(0.0, start + step * (attempt - 1)))
        if self.wait_exponential_multiplier is not None or self.wait_exponential_max is not None:
            configured = True
            multiplier = (
                _EXPONENTIAL_MULTIPLIER
                if self.wait_exponential_multiplier is None
                else self.wait_exponential_multiplier
            )
            cap = (
                _EXPONENTIAL_MAX if self.wait_exponential_max is None else self.wait_exponential_max
            )
            exponent = min(attempt, 64)  # 2**64 seconds is already past any cap
            waits.append(max(0.0, min(cap, multiplier * 2.0**exponent)))
        if not configured:
            return _DEFAULT_WAIT
        return max(waits)

    def give_up(self, attempt: int, error: BaseException) -> BaseException:
        """The last error, or a RetryError around it with ``wrap_exception=True``."""
        if not self.wrap_exception:
            return error
        return RetryError(
            f"gave up after {attempt} attempt(s): {error}",
            attempts=attempt,
            last_exception=error,
        )

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={value!r}"
            for name, value in vars(self).items()
            if not name.startswith("_") and value not in (None, False)
        )
        return f"ActivityRetrying({fields})"


def retry_on_exception(
    *exception_types: type[BaseException] | str,
) -> Callable[[BaseException], bool]:
    """A ``retry_on_exception`` predicate: retry only these exception types.

    The activity's own exception is the ``cause`` of ActivityTaskFailedError; the
    predicate looks there as well as at the error itself, and matches converter
    stand-ins of unregistered types by name (see :func:`error_matches`).

    Example::

        @retry_activity(stop_max_attempt_number=5, wait_fixed=2,
                        retry_on_exception=retry_on_exception(IOError))
    """
    if not exception_types:
        raise TypeError("retry_on_exception() needs at least one exception type")
    for spec in exception_types:
        if not _is_error_spec(spec):
            raise TypeError(f"retry_on_exception() takes exception classes or names, got {spec!r}")
    specs = tuple(exception_types)

    def predicate(error: BaseException) -> bool:
        return error_matches(error, specs)

    predicate.__qualname__ = f"retry_on_exception({', '.join(_spec_name(s) for s in specs)})"
    return predicate


def _spec_name(spec: type[BaseException] | str) -> str:
    return spec if isinstance(spec, str) else spec.__name__


def attach_retry(target: F, strategy: RetryStrategy) -> F:
    """Give an ``@activity`` method (or a function ``@activity`` will wrap) ``strategy``."""
    # Imported here: the activity package imports this module.
    from botoflowx.activity._meta import ActivityMethod

    if isinstance(target, ActivityMethod):
        target.retry = strategy
        target.reset_metas()
        return target
    if not callable(target):
        raise TypeError(f"@retry_activity decorates an activity method, got {target!r}")
    setattr(target, RETRY_ATTRIBUTE, strategy)
    return target


@overload
def retry_activity(__func: F) -> F: ...
@overload
def retry_activity(
    stop_max_attempt_number: int | RetryStrategy | None = None,
    stop_max_delay: float | None = None,
    wait_fixed: float | None = None,
    wait_random_min: float | None = None,
    wait_random_max: float | None = None,
    wait_incrementing_start: float | None = None,
    wait_incrementing_increment: float | None = None,
    wait_exponential_multiplier: float | None = None,
    wait_exponential_max: float | None = None,
    retry_on_exception: Callable[[BaseException], bool] | None = None,
    retry_on_result: Callable[[Any], bool] | None = None,
    wrap_exception: bool = False,
    stop_func: Callable[[int, float], bool] | None = None,
    wait_func: Callable[[int, float], float] | None = None,
) -> Callable[[F], F]: ...
def retry_activity(*args: Any, **kwargs: Any) -> Any:
    """Retry an activity in the workflow that calls it, waiting on durable timers.

    Put it above or below ``@activity`` (the order does not matter). Forms::

        @retry_activity                       # 3 attempts, 1 s apart
        @retry_activity(stop_max_attempt_number=5, wait_exponential_multiplier=1,
                        wait_exponential_max=60)
        @retry_activity(RetryPolicy(initial_interval=2, maximum_attempts=4))

    botoflow's parameters (the ``retrying`` library's, every duration in SECONDS; waits
    are rounded up to whole seconds because SWF timers count whole seconds):

    Args:
        stop_max_attempt_number: Give up after this many attempts.
        stop_max_delay: Give up once this much workflow time passed since the first
            attempt was scheduled.
        wait_fixed: Wait this long between attempts.
        wait_random_min: Wait at least this long, at random (default 0).
        wait_random_max: Wait at most this long, at random (default 1). The random
            draw is seeded from the run and the attempt, so it replays identically.
        wait_incrementing_start: First wait of a linearly growing wait (default 0).
        wait_incrementing_increment: Growth per attempt (default 0.1).
        wait_exponential_multiplier: Wait ``multiplier * 2 ** attempt``.
        wait_exponential_max: Cap of the exponential wait.
        retry_on_exception: ``predicate(error) -> bool``; retry only when True. The
            error is what the activity future raised (e.g. ActivityTaskFailedError,
            whose ``cause`` is the activity's exception; see :func:`retry_on_exception`).
        retry_on_result: ``predicate(result) -> bool``; retry a result when True.
        wrap_exception: On giving up, raise :class:`RetryError` (with
            ``last_exception``) instead of the last error.
        stop_func: ``stop_func(attempt, seconds_since_first) -> bool`` replaces the
            stop options.
        wait_func: ``wait_func(attempt, seconds_since_first) -> seconds`` replaces the
            wait options.

    Without any stop option it makes 3 attempts; without any wait option attempts are
    1 second apart. Stop options combine with "any", waits with "max". Cancellations
    are never retried. Giving up raises the last error (or RetryError, see above);
    a rejected result raises RetryError.

    Returns:
        The decorated method, or a decorator when called with options.

    Raises:
        TypeError, ValueError: an option is invalid (at decoration time).
    """
    if len(args) == 1 and not kwargs and _is_decoratable(args[0]):
        return attach_retry(args[0], ActivityRetrying())
    if args and isinstance(args[0], RetryStrategy):
        if len(args) > 1 or kwargs:
            raise TypeError("retry_activity(policy) takes the policy alone, without other options")
        strategy: RetryStrategy = args[0]
    else:
        strategy = ActivityRetrying(*args, **kwargs)

    def decorate(target: F) -> F:
        return attach_retry(target, strategy)

    return decorate


def _is_decoratable(value: Any) -> bool:
    # A bare @retry_activity receives the method: a function, or the @activity
    # descriptor (which is not callable itself).
    if isinstance(value, (RetryStrategy, bool, int, float)) or value is None:
        return False
    return callable(value) or hasattr(value, "meta_for")


def check_strategy(value: Any, where: str) -> RetryStrategy | None:
    """Return ``value`` if it is a retry strategy (or None).

    Raises:
        TypeError: it is something else.
    """
    if value is None or isinstance(value, RetryStrategy):
        return value
    raise TypeError(
        f"{where}(retry=...) takes a RetryPolicy or an ActivityRetrying (see retry_activity), "
        f"got {value!r}"
    )


# -- the loop ----------------------------------------------------------------------------


def schedule_with_retry(
    runtime: WorkflowRuntime,
    meta: ActivityMeta,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    strategy: RetryStrategy | None,
) -> Future[Any]:
    """Schedule an activity call from workflow code, retried per ``strategy``.

    Without a strategy this is exactly ``runtime.schedule_activity``. With one, the
    first attempt is scheduled right away (so ids and command order are those of a
    plain call) and a coroutine drives the attempts after it; the returned future is
    that coroutine's. Cancelling it cancels the attempt in flight (RequestCancelActivityTask)
    or the wait between attempts, and no further attempt is made.
    """
    first = runtime.schedule_activity(meta, args, kwargs)
    if strategy is None:
        return first
    loop = get_current_loop()
    if loop is None:  # the runtime only runs workflow code with its loop active
        raise RuntimeError("schedule_with_retry() needs the workflow loop of the running code")
    generator = _retry_loop(runtime, meta, args, kwargs, strategy, first)
    return Task(generator, loop=loop, name=f"retry of activity {meta.name}")


def _attempt_rng(runtime: WorkflowRuntime, first_id: str, attempt: int) -> random.Random:
    # str seeds are hashed with SHA-512 (not the per-process hash seed), so every
    # process replaying this run draws the same numbers.
    run_id = runtime.workflow_execution.run_id or ""
    return random.Random(f"botoflowx-retry:{run_id}:{first_id}:{attempt}")


def _retry_loop(
    runtime: WorkflowRuntime,
    meta: ActivityMeta,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    strategy: RetryStrategy,
    first: Future[Any],
) -> Generator[Any, Any, Any]:
    started = runtime.now()
    first_id = str(getattr(first, "activity_id", ""))
    heartbeat_details: str | None = None
    attempt = 1
    future = first
    while True:
        try:
            result = yield future
        except CancelledError:
            if future.cancelled():
                raise  # the attempt itself was canceled: never retried
            # This call was cancelled: pass the request on to the attempt (unless it
            # already ended) and let the attempt's outcome end the call, as a plain
            # ActivityFuture would: canceled, or its result if it finished first.
            # No further attempt is made either way.
            if not future.done():
                future.cancel()
            result = yield future
            return result
        except Exception as error:
            if isinstance(error, ActivityTaskTimedOutError) and error.details is not None:
                # Progress reported before a timeout carries over to later attempts,
                # until an attempt reports newer progress.
                heartbeat_details = error.details
            if not strategy.retries_error(error):
                raise
            if strategy.stops(attempt, runtime.now() - started):
                final = strategy.give_up(attempt, error)
                if final is error:
                    raise
                raise final from error
        else:
            if not strategy.retries_result(result):
                return result
            if strategy.stops(attempt, runtime.now() - started):
                raise RetryError(
                    f"activity {meta.name}: result {result!r} was still rejected by "
                    f"retry_on_result after {attempt} attempt(s)",
                    attempts=attempt,
                    last_result=result,
                )
        rng = _attempt_rng(runtime, first_id, attempt)
        wait = min(float(strategy.delay(attempt, runtime.now() - started, rng)), MAX_WAIT)
        if wait > 0:
            timer = runtime.sleep(wait)
            try:
                yield timer
            except CancelledError:
                timer.cancel()
                raise
        attempt += 1
        future = _schedule_attempt(runtime, meta, args, kwargs, heartbeat_details)


def _schedule_attempt(
    runtime: WorkflowRuntime,
    meta: ActivityMeta,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    heartbeat_details: str | None,
) -> Future[Any]:
    if heartbeat_details is None:
        return runtime.schedule_activity(meta, args, kwargs)
    try:
        return runtime.schedule_activity(
            meta, args, {**kwargs, HEARTBEAT_DETAILS_KWARG: heartbeat_details}
        )
    except PayloadTooLargeError:
        # The details pushed an input near SWF's limit over it. Progress is an
        # optimisation; the attempt itself must still run. (The size check comes
        # before anything is emitted, so nothing is left half-scheduled.)
        if not runtime.is_replaying():
            log.warning(
                "activity %s: the last heartbeat details do not fit in the input of its "
                "next attempt (SWF's 32,768-character limit); retrying without them",
                meta.name,
            )
        return runtime.schedule_activity(meta, args, kwargs)
