"""Benchmark: JSONDataConverter against plain orjson on typical activity payloads.

Run: ``.venv/bin/python tests/converter/bench_converter.py``. Not collected by pytest.
Prints, per payload, the best-of-N microseconds per call and whether the value came
back exactly (a fast wrong answer is not a result).
"""

from __future__ import annotations

import datetime as dt
import decimal
import sys
import timeit
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent))

from converter_support import assert_same

from botoflowx.converter import JSONDataConverter

PAYLOADS: dict[str, Any] = {
    # HelloWorld's activity input and result.
    "hello input": [[], {}],
    "hello result": "World",
    # A typical business activity input: ~600 bytes of JSON-native data.
    "order input (JSON-native)": [
        [
            "order-123",
            {
                "customer": {"id": 42, "name": "Ada Lovelace", "email": "ada@example.com"},
                "items": [
                    {"sku": f"SKU-{i}", "qty": i, "price": 9.99 + i, "tags": ["a", "b"]}
                    for i in range(8)
                ],
                "note": None,
                "total": 123.45,
            },
        ],
        {"retry": 3},
    ],
    # The same kind of input with values plain JSON cannot carry.
    "order input (rich types)": [
        [
            "order-123",
            {
                "when": dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc),
                "id": uuid.UUID(int=5),
                "amount": decimal.Decimal("12.50"),
                "lines": [("SKU-1", 2), ("SKU-2", 1)],
                "flags": {"gift", "express"},
            },
        ],
        {},
    ],
}


def best_microseconds(func: Callable[[], Any], number: int = 5_000, repeat: int = 9) -> float:
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    converter = JSONDataConverter()
    print(
        f"{'payload':28} {'chars':>5}  {'orjson dumps':>12} {'dumps':>8}  "
        f"{'orjson loads':>12} {'loads':>8}  exact"
    )
    for label, value in PAYLOADS.items():
        text = converter.dumps(value)
        try:
            assert_same(value, converter.loads(text))
            exact = "yes"
        except AssertionError as exc:
            exact = f"NO: {exc}"
        # orjson's own numbers, as a floor: default=str lets it write the rich payload
        # (lossily), so both sides do comparable work.
        raw = orjson.dumps(value, default=str)
        o_dumps = best_microseconds(lambda v=value: orjson.dumps(v, default=str))
        c_dumps = best_microseconds(lambda v=value: converter.dumps(v))
        o_loads = best_microseconds(lambda r=raw: orjson.loads(r))
        c_loads = best_microseconds(lambda t=text: converter.loads(t))
        print(
            f"{label:28} {len(text):5d}  {o_dumps:10.2f}us {c_dumps:6.2f}us  "
            f"{o_loads:10.2f}us {c_loads:6.2f}us  {exact}"
        )


if __name__ == "__main__":
    main()
