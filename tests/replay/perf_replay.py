"""Benchmark: the replay core against ``orjson.loads`` on the same history pages.

Run: ``.venv/bin/python tests/replay/perf_replay.py [--activities 4166] [--repeat 9]``.
The default is the ~25,000-event workload of ``perf-baseline.md`` (25 pages of
1000 events). Prints the median wall time of each method and whether the replay
produced the expected commands.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from botoflowx._replay import DecisionTaskPage, Replayer
from replay._histories import sequential, sequential_commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--activities", type=int, default=4166)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    n = args.activities
    history = sequential(n)
    bodies = history.pages()
    started = history.last_id
    commands = [sequential_commands(k, n) for k in range(n + 1)]

    def loads() -> object:
        return [orjson.loads(body) for body in bodies]

    def parse() -> object:
        return [DecisionTaskPage.parse(body) for body in bodies]

    def replay() -> bool:
        replayer = Replayer()
        replayer.extend([DecisionTaskPage.parse(body) for body in bodies], started)
        new: list[int] = []
        k = 0
        while (activation := replayer.next_activation()) is not None:
            new = replayer.complete_activation(commands[k])
            if activation.is_replaying == bool(new):
                return False
            k += 1
        return k == n + 1 and new == (0,)

    methods: list[tuple[str, Callable[[], object]]] = [
        ("orjson.loads", loads),
        ("DecisionTaskPage.parse", parse),
        ("parse + extend + all activations", replay),
    ]
    correct = replay() is True
    size = sum(map(len, bodies))
    print(f"{started:,} events, {len(bodies)} pages, {size:,} bytes; replay correct: {correct}")
    for gc_enabled in (True, False):
        samples: dict[str, list[float]] = {name: [] for name, _ in methods}
        for _ in range(args.repeat):
            for name, method in methods:  # round-robin so drift hits every method alike
                gc.collect()
                if not gc_enabled:
                    gc.disable()
                begin = time.perf_counter()
                method()
                samples[name].append(time.perf_counter() - begin)
                gc.enable()
        print(f"GC {'on' if gc_enabled else 'off'}:")
        for name, times in samples.items():
            ms = statistics.median(times) * 1000
            print(f"  {name:34s} {ms:8.1f} ms  ({started / ms * 1000:,.0f} events/s)")


if __name__ == "__main__":
    main()
