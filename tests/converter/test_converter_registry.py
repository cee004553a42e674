"""The type registry: what can be registered, under which names, and how it is looked up."""

from __future__ import annotations

import dataclasses
import enum
import threading
from typing import Any, NamedTuple

import pytest

from botoflowx import converter as converter_module
from botoflowx.converter import (
    ConversionError,
    JSONDataConverter,
    TypeRegistry,
    default_converter,
    default_registry,
    register_exception,
    register_type,
)


@dataclasses.dataclass
class Item:
    sku: str
    qty: int = 1


class Shade(enum.Flag):
    RED = 1
    BLUE = 2


class Span(NamedTuple):
    start: int
    end: int


class Plain:
    def __init__(self, token: str) -> None:
        self.token = token


def test_decorator_and_call_forms() -> None:
    registry = TypeRegistry()

    @registry.register
    @dataclasses.dataclass
    class A:
        x: int

    @registry.register(name="b.B")
    @dataclasses.dataclass
    class B:
        y: int

    assert registry.entry_for_type(A) is not None
    assert registry.entry_for_name("b.B") is not None
    assert registry.register(Item) is Item
    assert len(registry) == 3


def test_enum_flag_and_namedtuple() -> None:
    registry = TypeRegistry()
    registry.register(Shade)
    registry.register(Span)
    converter = JSONDataConverter(registry)
    value = [Shade.RED | Shade.BLUE, Span(1, 2)]
    back = converter.loads(converter.dumps(value))
    assert back == value and type(back[1]) is Span


def test_plain_classes_need_encode_and_decode() -> None:
    registry = TypeRegistry()
    with pytest.raises(TypeError, match="pass encode="):
        registry.register(Plain)
    with pytest.raises(TypeError, match="both encode= and decode="):
        registry.register(Plain, encode=lambda p: p.token)
    registry.register(Plain, encode=lambda p: p.token, decode=Plain)
    converter = JSONDataConverter(registry)
    assert converter.loads(converter.dumps(Plain("t"))).token == "t"
    assert '"__main__' not in converter.dumps(Plain("t"))


def test_default_names_and_explicit_names() -> None:
    registry = TypeRegistry()
    registry.register(Item)
    assert registry.entry_for_name(f"{__name__}.Item") is not None
    converter = JSONDataConverter(registry)
    assert f'"{__name__}.Item"' in converter.dumps(Item("a"))


def test_conflicts_are_refused() -> None:
    registry = TypeRegistry()
    registry.register(Item, "shop.Item")
    registry.register(Item, "shop.Item")  # the same registration again is fine
    with pytest.raises(ValueError, match=r"already registered as 'shop\.Item'"):
        registry.register(Item, "other.Item")

    @dataclasses.dataclass
    class Other:
        z: int

    with pytest.raises(ValueError, match="already used by"):
        registry.register(Other, "shop.Item")
    with pytest.raises(ValueError, match="builtin exception"):
        registry.register_exception(type("Mine", (Exception,), {}), "ValueError")


def test_redefined_class_replaces_its_old_registration() -> None:
    registry = TypeRegistry()

    def define() -> type:
        @dataclasses.dataclass
        class Reloaded:
            n: int

        return Reloaded

    first, second = define(), define()
    registry.register(first, "r.Reloaded")
    registry.register(second, "r.Reloaded")
    converter = JSONDataConverter(registry)
    assert type(converter.loads(converter.dumps(second(1)))) is second
    with pytest.raises(ConversionError, match="not registered"):
        converter.dumps(first(1))


def test_subclasses_are_not_implied() -> None:
    registry = TypeRegistry()
    registry.register(Item)

    @dataclasses.dataclass
    class SpecialItem(Item):
        extra: str = ""

    with pytest.raises(ConversionError, match="SpecialItem"):
        JSONDataConverter(registry).dumps(SpecialItem("a"))


def test_bad_registrations() -> None:
    registry = TypeRegistry()
    with pytest.raises(TypeError):
        registry.register(Item(sku="x"))  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="SystemExit"):
        registry.register(type("Quit", (SystemExit,), {}))
    with pytest.raises(TypeError):
        registry.register_exception(Item)  # type: ignore[type-var]
    with pytest.raises(ValueError, match="non-empty"):
        registry.register(Item, "")


def test_registries_are_isolated() -> None:
    mine = TypeRegistry()
    mine.register(Item, "iso.Item")
    text = JSONDataConverter(mine).dumps(Item("a"))
    with pytest.raises(ConversionError, match=r"'iso\.Item'"):
        JSONDataConverter(TypeRegistry()).loads(text)


def test_module_level_helpers_use_the_default_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = TypeRegistry()
    monkeypatch.setattr(converter_module, "_DEFAULT_REGISTRY", fresh)
    monkeypatch.setattr(converter_module, "_default_converter", None)

    @register_type(name="default.Item")
    @dataclasses.dataclass
    class DefaultItem:
        sku: str

    class Failure(Exception):
        pass

    register_exception(Failure, "default.Failure")
    assert default_registry() is fresh
    converter = default_converter()
    assert converter.registry is fresh and JSONDataConverter().registry is fresh
    back = converter.loads(converter.dumps([DefaultItem("a"), Failure("f")]))
    assert type(back[0]) is DefaultItem and type(back[1]) is Failure


def test_concurrent_registration_and_use() -> None:
    registry = TypeRegistry()
    converter = JSONDataConverter(registry)
    classes = [dataclasses.make_dataclass(f"C{i}", [("n", int)]) for i in range(40)]
    errors: list[BaseException] = []

    def work(cls: Any) -> None:
        try:
            registry.register(cls, f"c.{cls.__name__}")
            for n in range(50):
                assert converter.loads(converter.dumps(cls(n))) == cls(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(cls,)) for cls in classes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(registry) == 40
