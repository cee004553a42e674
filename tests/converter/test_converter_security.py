"""Payloads are data, never code: decoding imports nothing and calls nothing a payload names."""

from __future__ import annotations

import builtins
import contextlib
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from converter_support import make_converter
from hypothesis import given, settings
from hypothesis import strategies as st

from botoflowx.converter import (
    BUILTIN_EXCEPTIONS,
    ConversionError,
    JSONDataConverter,
    RemoteException,
)

SENTINEL_MODULE = "botoflowx_converter_sentinel"
ON_DISK_MODULE = "botoflowx_converter_never_imported"


@pytest.fixture
def sentinel(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """An already-imported module whose callables record any call."""
    calls: list[str] = []
    module = types.ModuleType(SENTINEL_MODULE)

    def boom(*args: Any, **kwargs: Any) -> str:
        calls.append("boom")
        return "pwned"

    class Gadget:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            calls.append("Gadget")

        def __setstate__(self, state: Any) -> None:
            calls.append("Gadget.__setstate__")

    module.boom = boom  # type: ignore[attr-defined]
    module.Gadget = Gadget  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, SENTINEL_MODULE, module)
    return calls


@pytest.fixture
def on_disk_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An importable module that, if ever imported, leaves a marker file behind."""
    marker = tmp_path / "imported.marker"
    (tmp_path / f"{ON_DISK_MODULE}.py").write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            Path({str(marker)!r}).write_text("imported")
            def run(*args, **kwargs):
                Path({str(marker)!r}).write_text("called")
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return marker


class ImportRecorder:
    """Records every import statement and new sys.modules entry while ``watch()`` is open."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.new_modules: set[str] = set()

    @contextlib.contextmanager
    def watch(self) -> Iterator[None]:
        real_import = builtins.__import__

        def recording_import(name: str, *args: Any, **kwargs: Any) -> Any:
            self.statements.append(name)
            return real_import(name, *args, **kwargs)

        before = set(sys.modules)
        builtins.__import__ = recording_import
        try:
            yield
        finally:
            builtins.__import__ = real_import
            self.new_modules |= set(sys.modules) - before


@pytest.fixture
def imports() -> ImportRecorder:
    return ImportRecorder()


def names() -> list[str]:
    return [
        "os.system",
        "os:system",
        "subprocess.Popen",
        "subprocess:check_output",
        "builtins.eval",
        "builtins:exec",
        "eval",
        "__import__",
        "posix.system",
        "importlib.import_module",
        "pickle.loads",
        f"{SENTINEL_MODULE}.boom",
        f"{SENTINEL_MODULE}:boom",
        f"{SENTINEL_MODULE}.Gadget",
        f"{ON_DISK_MODULE}.run",
        ON_DISK_MODULE,
    ]


def crafted_payloads(name: str) -> list[Any]:
    command = [["sh", "-c", "echo pwned > /tmp/botoflowx-pwned"]]
    return [
        # botoflow's own tags: must stay inert data here.
        {"__namedtuple": [name, command]},
        {"__obj": [name, {"x": 1}]},
        {"__class": name},
        # Our tags with hostile names.
        {"__bfx__": "obj", "v": [name, {"args": command}]},
        {"__bfx__": "obj", "v": [name, command]},
        {"__bfx__": name, "v": command},
        {
            "__bfx__": "exc",
            "v": {
                "type": name,
                "base": "Exception",
                "message": "m",
                "args": command,
                "traceback": None,
            },
        },
        {
            "__bfx__": "exc",
            "v": {
                "type": "ValueError",
                "base": name,
                "message": "m",
                "args": command,
                "traceback": None,
            },
        },
        {"__bfx__": "dict", "v": [[{"__bfx__": "obj", "v": [name, 1]}, 1]]},
        [{"deep": [{"__bfx__": "tuple", "v": [{"__bfx__": "obj", "v": [name, {}]}]}]}],
    ]


@pytest.mark.parametrize("name", names())
def test_crafted_payloads_neither_import_nor_call(
    name: str, sentinel: list[str], on_disk_module: Path, imports: ImportRecorder
) -> None:
    converter = make_converter()
    for payload in crafted_payloads(name):
        text = orjson.dumps(payload).decode()
        try:
            with imports.watch():
                value = converter.loads(text)
        except ConversionError as exc:
            assert isinstance(exc, ValueError)
            message = str(exc)
            assert name in message or "unknown tag" in message, message
        else:
            # Whatever decodes is plain data or an inert stand-in, never a named object.
            assert _only_data(value), value
    assert sentinel == []
    assert not on_disk_module.exists()
    assert imports.statements == [] and imports.new_modules == set()
    assert ON_DISK_MODULE not in sys.modules


def _only_data(value: Any) -> bool:
    if isinstance(value, RemoteException):
        return _only_data(list(value.remote_args))
    if isinstance(value, BaseException):
        # An allow-listed builtin exception holding plain data is data too.
        return BUILTIN_EXCEPTIONS.get(type(value).__name__) is type(value) and _only_data(
            list(value.args)
        )
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_only_data(item) for item in value)
    if isinstance(value, dict):
        return all(_only_data(k) and _only_data(v) for k, v in value.items())
    return type(value) in (str, int, float, bool, type(None))


def test_unregistered_type_name_is_a_clear_error() -> None:
    text = '{"__bfx__": "obj", "v": ["os.system", "echo pwned"]}'
    with pytest.raises(ConversionError) as info:
        make_converter().loads(text, context="result of activity 'Acts.get'")
    message = str(info.value)
    assert "'os.system'" in message and "not registered" in message
    assert "result of activity 'Acts.get'" in message
    assert info.value.tag == "obj"


def test_unknown_tag_is_a_clear_error() -> None:
    with pytest.raises(ConversionError) as info:
        make_converter().loads('[1, {"a": {"__bfx__": "pickle", "v": "gASV"}}]')
    assert "unknown tag 'pickle'" in str(info.value)
    assert info.value.path == "payload[1]['a']"
    assert info.value.tag == "pickle"


def test_exception_type_names_never_resolve_outside_the_allow_list(sentinel: list[str]) -> None:
    for type_name in ("os.system", "builtins.eval", "SystemExit", "object", "type", "Warning"):
        payload = {
            "__bfx__": "exc",
            "v": {
                "type": type_name,
                "base": type_name,
                "message": "m",
                "args": ["ls"],
                "traceback": None,
            },
        }
        back = make_converter().loads(orjson.dumps(payload).decode())
        assert type(back) is RemoteException
        assert back.type_name == type_name and back.remote_args == ("ls",)
    assert sentinel == []


@pytest.mark.parametrize(
    "key",
    [
        "../../../etc/passwd",
        "/etc/localtime",
        "tzdata.zoneinfo.Europe",
        "Europe/../../x",
        "",
        "a" * 300,
        "Not/A/Real/Zone",
    ],
)
def test_zone_keys_are_checked_before_use(key: str, imports: ImportRecorder) -> None:
    payload = {"__bfx__": "datetime", "v": ["2024-01-01T00:00:00", {"zone": key}]}
    with pytest.raises(ConversionError, match="zone"), imports.watch():
        make_converter().loads(orjson.dumps(payload).decode())
    assert imports.new_modules == set()


def test_registered_dataclass_accepts_only_its_declared_fields(sentinel: list[str]) -> None:
    payload = {"__bfx__": "obj", "v": ["test.Point", {"x": 1, "__class__": "os.system"}]}
    with pytest.raises(ConversionError, match="does not declare"):
        make_converter().loads(orjson.dumps(payload).decode())


# Any JSON at all, with tagged-looking objects mixed in generously.
_json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text()
)
_tags = st.sampled_from(
    [
        "tuple",
        "set",
        "frozenset",
        "dict",
        "int",
        "float",
        "str",
        "bytes",
        "bytearray",
        "decimal",
        "uuid",
        "date",
        "datetime",
        "time",
        "timedelta",
        "obj",
        "exc",
        "os.system",
        "",
    ]
)
_json = st.recursive(
    _json_leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.just("v"), children, max_size=3)
        | st.builds(lambda tag, v: {"__bfx__": tag, "v": v}, _tags, children)
        | st.builds(
            lambda name, data: {"__bfx__": "obj", "v": [name, data]},
            st.sampled_from(["test.Point", "test.Color", "test.Money", "test.Pair", "os.system"]),
            children,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None, database=None)
@given(_json)
def test_decoding_any_json_gives_a_value_or_a_conversion_error(tree: Any) -> None:
    converter = make_converter()
    before = set(sys.modules)
    try:
        converter.loads(orjson.dumps(tree).decode())
    except ConversionError:
        pass
    assert set(sys.modules) == before


def test_malformed_json_is_a_conversion_error() -> None:
    with pytest.raises(ConversionError, match="not valid JSON") as info:
        JSONDataConverter().loads("{not json", context="input of workflow 'W.run'")
    assert "input of workflow 'W.run'" in str(info.value)
