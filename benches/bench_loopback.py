"""Loopback: what one request and its answer cost the client's thread, by CPU placement.

A machine probe, not a botoflowx benchmark: it explains the spread of the lifetime
benchmark's cache-on figure. A peer process answers each 600-byte request with 300 bytes
after 0.5 ms of "work" (so the client really sleeps in ``recv``), over TCP on loopback with
``TCP_NODELAY``, as the worker and the embedded server talk. The client's thread CPU
(``time.thread_time``) is measured around ``sendall`` (the kernel delivers the bytes to the
peer and wakes it) and around ``recv`` (the client is woken when the answer comes), with
both processes on one CPU ("same"), on two ("split"; the first two this process may use),
and unpinned. Linux only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_result

REQUEST = b"q" * 600
ANSWER = b"a" * 300
WORK_SECONDS = 0.0005
PLACEMENTS = ("same", "split", "unpinned")


def peer(ports: Any, cpu: int | None) -> None:
    """Answer every request after a little work, until the client closes."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    listener = socket.create_server(("127.0.0.1", 0))
    ports.put(listener.getsockname()[1])
    conn, _ = listener.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while conn.recv(65536):
        time.sleep(WORK_SECONDS)
        conn.sendall(ANSWER)


def cpus_for(placement: str) -> tuple[int | None, int | None]:
    """(peer CPU, client CPU): the first two CPUs this process may use, or None."""
    first, second = sorted(os.sched_getaffinity(0))[:2]
    return {"same": (first, first), "split": (first, second)}.get(placement, (None, None))


def measure(placement: str, exchanges: int) -> dict[str, Any]:
    """Median client thread CPU of sendall and recv over ``exchanges`` exchanges."""
    peer_cpu, client_cpu = cpus_for(placement)
    ports: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=peer, args=(ports, peer_cpu), daemon=True)
    process.start()
    before = os.sched_getaffinity(0)
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})
    sends: list[float] = []
    receives: list[float] = []
    answered = 0
    try:
        # Closing the socket (in any case) is what ends the peer.
        with socket.create_connection(("127.0.0.1", ports.get(timeout=30)), timeout=30) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(exchanges):
                begin = time.thread_time()
                sock.sendall(REQUEST)
                sent = time.thread_time()
                answered += len(sock.recv(65536))
                sends.append(sent - begin)
                receives.append(time.thread_time() - sent)
    finally:
        os.sched_setaffinity(0, before)
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
    return {
        "placement": placement,
        "exchanges": exchanges,
        "sendall_us": statistics.median(sends) * 1e6,
        "recv_us": statistics.median(receives) * 1e6,
        # Each answer arrives whole with TCP_NODELAY on loopback; fewer bytes would
        # mean the probe measured something else.
        "correct": answered == exchanges * len(ANSWER),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exits 1 when an exchange went wrong."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=3000)
    parser.add_argument("--quick", action="store_true", help="50 exchanges")
    parser.add_argument("--json", type=Path, help="result file (default benches/results/)")
    args = parser.parse_args(argv)
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        print("loopback: skipped, it needs Linux and two CPUs")
        skipped = {"benchmark": "loopback", "skipped": "needs Linux and two CPUs", "correct": True}
        write_result("loopback", skipped, args.json)
        return 0
    exchanges = 50 if args.quick else args.exchanges
    rows = [measure(placement, exchanges) for placement in PLACEMENTS]
    result = {
        "benchmark": "loopback",
        "environment": environment(),
        "config": {"exchanges": exchanges, "work_seconds": WORK_SECONDS},
        "rows": rows,
        "correct": all(row["correct"] for row in rows),
    }
    print_table(
        "Loopback: client thread CPU per exchange (median)",
        ["placement", "sendall", "recv", "correct"],
        [
            [
                row["placement"],
                f"{row['sendall_us']:.1f} us",
                f"{row['recv_us']:.1f} us",
                "yes" if row["correct"] else "NO",
            ]
            for row in rows
        ],
    )
    write_result("loopback", result, args.json)
    return 0 if result["correct"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
