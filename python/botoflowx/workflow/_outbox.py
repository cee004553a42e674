"""The outbox of a workflow run: commands not yet sent, released in batches SWF accepts.

SWF refuses a RespondDecisionTaskCompleted with more than 100 decisions or over 1 MB.
Cutting a batch in the decider would lose decisions the workflow code believes were
made, and the next replay would not match. The cut is therefore made here, inside the
engine, where it is part of the run's deterministic behaviour: when an activation
produces more than a batch holds, the engine sends the first part plus a zero-second
timer with a reserved id, and holds the rest back. The timer fires at once and starts a
new decision task; in it the held-back commands go out first, in their original order.
Replaying the same history cuts at the same places, so the replay core sees the same
commands at every boundary.

Patch markers (``patched()``) jump the queue: they go out in the batch of the
activation that made them, even while other commands wait. A replay answers
``patched()`` from the markers recorded at its own boundary, so the marker must be
recorded exactly there; a marker has no effect of its own, so sending it ahead of
older commands changes nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from botoflowx.workflow._commands import Command, make_command

__all__ = [
    "CONTINUE_TIMER_PREFIX",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_COMMANDS",
    "Outbox",
    "is_continue_timer",
]

# One decision of SWF's 100 is kept for the continue timer.
MAX_BATCH_COMMANDS = 99
# SWF's request limit is 1 MB; leave room for the task token, executionContext (up to
# 32 KB) and the JSON envelope.
MAX_BATCH_BYTES = 900_000
# SWF names may not contain ':', '/' or '|', hence the dots.
CONTINUE_TIMER_PREFIX = "botoflowx.continue."


def is_continue_timer(timer_id: str) -> bool:
    """Return True for the reserved timers the outbox starts to get another decision task."""
    return timer_id.startswith(CONTINUE_TIMER_PREFIX)


def _decision_size(command: Command) -> int:
    # The decision as it travels (one separator byte for the list).
    return len(orjson.dumps(command.decision)) + 1


class Outbox:
    """Commands produced by workflow code and not yet released to the decider.

    ``take_batch`` releases the next batch at the end of an activation. While a
    continue timer is outstanding nothing is released: new commands queue behind the
    held-back ones, so the order the code produced them in is the order SWF sees.

    Args:
        location: returns the source location given to the continue timers.
        max_commands: most commands per batch, besides the continue timer.
        max_bytes: most encoded decision bytes per batch.
    """

    def __init__(
        self,
        location: Callable[[], str],
        *,
        max_commands: int = MAX_BATCH_COMMANDS,
        max_bytes: int = MAX_BATCH_BYTES,
    ) -> None:
        if max_commands < 1 or max_bytes < 1:
            raise ValueError("an outbox batch must hold at least one command")
        self._location = location
        self._max_commands = max_commands
        self._max_bytes = max_bytes
        # One list for the outbox's lifetime (batches are copied out of it), so its
        # bound append can be handed out.
        self._queue: list[Command] = []
        self._urgent: list[Command] = []
        #: ``emit(command)`` of a command that is not urgent, as a C call: the engine
        #: emits one per activity call of a replay.
        self.emit_ordinary: Callable[[Command], None] = self._queue.append
        self._continue_timers = 0
        self._waiting_for: str | None = None

    def __len__(self) -> int:
        return len(self._urgent) + len(self._queue)

    @property
    def waiting_for(self) -> str | None:
        """The id of the outstanding continue timer, or None."""
        return self._waiting_for

    def emit(self, command: Command, *, urgent: bool = False) -> None:
        """Queue ``command`` behind everything not yet released.

        An ``urgent`` command (a patch marker) goes out with the next batch even while a
        continue timer is outstanding, ahead of the held-back commands.
        """
        (self._urgent if urgent else self._queue).append(command)

    def withdraw(self, command: Command) -> bool:
        """Remove ``command`` if it was not released yet; return whether it was."""
        for queue in (self._urgent, self._queue):
            for index, candidate in enumerate(queue):
                if candidate is command:
                    del queue[index]
                    return True
        return False

    def release(self, timer_id: str) -> bool:
        """The continue timer ``timer_id`` fired (or failed): release at the next batch.

        Returns:
            False when ``timer_id`` is not the outstanding continue timer (a stale or
            foreign id), True otherwise.
        """
        if timer_id != self._waiting_for:
            return False
        self._waiting_for = None
        return True

    def clear(self) -> None:
        """Drop every queued command (the instance is being discarded)."""
        self._urgent.clear()
        self._queue.clear()

    def take_batch(self) -> list[Command]:
        """Release the next batch, adding a continue timer when commands remain.

        Returns:
            The commands to send now, in order: urgent ones first; while a continue
            timer is outstanding, only urgent ones.
        """
        if not self._urgent and self._waiting_for is None and len(self._queue) <= 1:
            # The usual activation makes at most one command, and a batch always takes
            # its first command: no sizes to weigh (each costs an encoding of the
            # decision), no continue timer. A cold replay passes here once per
            # decision task of the history.
            batch = self._queue.copy()
            self._queue.clear()
            return batch
        urgent, size = self._fit(self._urgent, 0, 0)
        batch, self._urgent = self._urgent[:urgent], self._urgent[urgent:]
        if self._waiting_for is None and not self._urgent:
            count, size = self._fit(self._queue, len(batch), size)
            batch += self._queue[:count]
            del self._queue[:count]
        if self._waiting_for is None and (self._queue or self._urgent):
            self._continue_timers += 1
            timer_id = f"{CONTINUE_TIMER_PREFIX}{self._continue_timers}"
            batch.append(
                make_command(
                    "StartTimer",
                    {"timerId": timer_id, "startToFireTimeout": "0"},
                    key=timer_id,
                    location=self._location(),
                )
            )
            self._waiting_for = timer_id
        return batch

    def _fit(self, commands: list[Command], count: int, size: int) -> tuple[int, int]:
        # How many of ``commands`` fit in a batch already holding ``count`` commands of
        # ``size`` bytes; returns that number and the new size.
        taken = 0
        for command in commands:
            if count + taken == self._max_commands:
                break
            command_size = _decision_size(command)
            # A batch always takes its first command, even an oversized one: it fails at
            # SWF with a clear error instead of stalling the run.
            if count + taken and size + command_size > self._max_bytes:
                break
            taken += 1
            size += command_size
        return taken, size
