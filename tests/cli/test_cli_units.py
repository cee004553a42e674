"""The CLI's pure helpers, in-process: times, JSON input, tables, progress, logs, argv."""

from __future__ import annotations

import argparse
import io
import json
import logging

import pytest

from botoflowx._cli._common import (
    Progress,
    UsageError,
    call_arguments,
    encode_input,
    format_seconds,
    parse_json_option,
    parse_time,
    print_table,
)
from botoflowx._cli._worker import JSONLinesFormatter, KeyValueFormatter, child_argv
from botoflowx.cli import build_parser


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_parse_time_reads_iso_epoch_and_ages() -> None:
    assert parse_time("2026-01-31T12:00:00Z") == 1769860800.0
    assert parse_time("2026-01-31T13:00:00+01:00") == 1769860800.0
    assert parse_time("1769860800") == 1769860800.0
    assert parse_time("2h", now=10_000.0) == 10_000.0 - 7200
    assert parse_time("1.5d", now=200_000.0) == 200_000.0 - 129_600
    with pytest.raises(argparse.ArgumentTypeError, match="not a time: 'soon'"):
        parse_time("soon")


def test_json_option_errors_point_at_the_character() -> None:
    with pytest.raises(UsageError) as info:
        parse_json_option('{"a": 1,\n "b": }', "--input")
    message = info.value.message
    assert "line 2, column 7" in message
    assert message.splitlines()[1].strip() == '"b": }'
    assert info.value.exit_code == 2


def test_input_shapes_map_to_call_arguments() -> None:
    assert call_arguments(None) == ([], {})
    assert call_arguments([1, "a"]) == ([1, "a"], {})
    assert call_arguments({"k": 1}) == ([], {"k": 1})
    assert call_arguments("one") == (["one"], {})
    assert call_arguments([[1, 2]]) == ([[1, 2]], {})
    assert json.loads(encode_input('["x", 2]')) == [["x", 2], {}]
    assert json.loads(encode_input(None)) == [[], {}]


def test_tables_align_and_durations_read_well() -> None:
    out = io.StringIO()
    print_table(("A", "LONGER"), [("1", None), ("wide value", "x")], out)
    assert out.getvalue().splitlines() == ["A           LONGER", "1", "wide value  x"]
    assert [format_seconds(s) for s in (0.0042, 12.34, 302, 3 * 3600 + 240, 3 * 86400)] == [
        "0.004s",
        "12.3s",
        "5m02s",
        "3h04m",
        "3d00h",
    ]


def test_progress_only_on_a_terminal() -> None:
    pipe = io.StringIO()
    quiet = Progress(pipe)
    quiet.update("working")
    quiet.clear()
    assert pipe.getvalue() == ""
    tty = FakeTerminal()
    shown = Progress(tty)
    shown.update("replayed 1/2")
    shown.update("done")
    shown.clear()
    assert tty.getvalue().startswith("\rreplayed 1/2\rdone        ")
    assert tty.getvalue().endswith("\r")


def test_structured_log_formats() -> None:
    record = logging.LogRecord("botoflowx.x", logging.INFO, __file__, 1, "say %s", ("hi",), None)
    record.task_list = "tl 1"
    data = json.loads(JSONLinesFormatter().format(record))
    assert data["msg"] == "say hi" and data["level"] == "INFO" and data["task_list"] == "tl 1"
    line = KeyValueFormatter().format(record)
    assert "level=INFO" in line and "logger=botoflowx.x" in line
    assert 'msg="say hi"' in line and 'task_list="tl 1"' in line


def test_processes_children_lose_only_the_processes_option() -> None:
    argv = ["--domain", "d", "worker", "m", "--processes", "3", "--pollers", "2"]
    assert child_argv(argv) == ["--domain", "d", "worker", "m", "--pollers", "2"]
    assert child_argv(["worker", "m", "--processes=2"]) == ["worker", "m"]


def test_common_options_before_or_after_the_command() -> None:
    parser = build_parser()
    before = parser.parse_args(["--domain", "d1", "--output", "json", "list"])
    after = parser.parse_args(["list", "--domain", "d2"])
    assert (before.domain, before.output) == ("d1", "json")
    assert (after.domain, after.output) == ("d2", "table")
    with pytest.raises(SystemExit):
        parser.parse_args(["worker", "m", "--process", "2"])  # no abbreviations
