"""The YAML loader of plan files: safe, bounded while it composes, strict about keys.

PyYAML's SafeLoader executes no code but trusts the document's shape: 1.3 KB of aliases of
aliases (a "billion laughs") compose into a few nodes that every later walk expands into
billions, and a thousand `[` exhaust the stack. This loader counts each value as if aliases were
expanded and refuses past `MAX_VALUES` values or `MAX_DEPTH` levels at the event that crosses
the limit, before the next node exists; an alias to a value not yet complete (a recursive one)
is refused too. Mappings that give a key twice are refused with both lines (PyYAML keeps the
last silently). It also reads YAML 1.2 floats such as `1e-3` (1.1 wants `1.0e-3`) as numbers.

libyaml parses when it is installed (five times faster); the checks run on its events all the
same, in the Python composer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, Event, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader as YamlReader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from hpdesk.plan.reader import MAX_DEPTH, MAX_VALUES

_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_FLOAT_12 = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")


class Refused(ValueError):
    """A limit of the plan readers: becomes a `Problem(path, expected, found)`."""

    def __init__(self, path: str, expected: str, found: str) -> None:
        super().__init__(f"{path}: expected {expected}, found {found}")
        self.path, self.expected, self.found = path, expected, found


class BoundedComposer(Composer):
    """A Composer that refuses, while composing, what would cost memory or time later."""

    peek_event: Callable[[], Event]  # the parser's, beside this class in a loader

    def __init__(self) -> None:
        super().__init__()
        self._values = 0
        self._sizes: dict[int, int] = {}  # id(node) -> values it expands to
        self._path: list[str] = []
        self._paths: dict[int, str] = {}  # id(mapping node) -> its field path

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:
                raise Refused(self._where(parent, index), "aliases to values defined before them",
                              f"a recursive alias *{event.anchor} {_at(event)}")
            self._count(size, parent, index, event)
            return node
        if len(self._path) >= MAX_DEPTH and not isinstance(event, ScalarEvent):
            raise Refused(self._where(parent, index), f"at most {MAX_DEPTH} levels of nesting",
                          f"deeper nesting {_at(event)}")
        start = self._values
        self._count(1, parent, index, event)
        self._path.append(_part(parent, index))
        try:
            node = super().compose_node(parent, index)
            if isinstance(node, MappingNode):
                self._paths[id(node)] = _joined(self._path)
        finally:
            self._path.pop()
        self._sizes[id(node)] = self._values - start
        if isinstance(node, ScalarNode) and node.tag == _INT_TAG and len(node.value) > 40:
            # int() would refuse 4,300 digits with a ValueError; nothing needs more than 19.
            raise Refused(self._where(parent, index), "an integer between -2**63 and 2**63",
                          f"an integer of {len(node.value)} digits {_at(event)}")
        return node

    def mapping_path(self, node: Node) -> str:
        return self._paths.get(id(node), "")

    def _count(self, size: int, parent: Node | None, index: Any, event: Event) -> None:
        self._values += size
        if self._values > MAX_VALUES:
            found = (f"more, once the alias *{event.anchor} {_at(event)} is expanded"
                     if isinstance(event, AliasEvent) else f"more values {_at(event)}")
            raise Refused(self._where(parent, index), f"a plan of at most {MAX_VALUES:,} values",
                          found)

    def _where(self, parent: Node | None, index: Any) -> str:
        return _joined([*self._path, _part(parent, index)])


def _part(parent: Node | None, index: Any) -> str:
    """The field-path component of a node: `[i]` in a list, its key's text as a mapping's
    value, nothing as a key or the document."""
    if isinstance(parent, SequenceNode):
        return f"[{index}]"
    if isinstance(parent, MappingNode) and isinstance(index, ScalarNode):
        text = str(index.value)
        return text if len(text) <= 40 else text[:37] + "..."
    return ""


def _joined(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if part:
            out += part if part.startswith("[") or not out else f".{part}"
    return out


def _at(event: Event) -> str:
    mark = event.start_mark
    return f"at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


class StrictConstructor(SafeConstructor):
    """SafeConstructor that names a key given twice in one mapping (merge keys `<<` may
    override, as YAML says)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, Node] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # unhashable: SafeConstructor says so
                    continue
                if first is not key_node:
                    where = self.mapping_path(node)  # type: ignore[attr-defined]
                    name = str(key_node.value)[:40]
                    raise Refused(f"{where}.{name}" if where else name, "each key once",
                                  f"it again at line {key_node.start_mark.line + 1} (first at "
                                  f"line {first.start_mark.line + 1})")
        return super().construct_mapping(node, deep=deep)


class PurePlanYamlLoader(YamlReader, Scanner, Parser, BoundedComposer, StrictConstructor,
                         Resolver):
    """The plan loader on PyYAML's own (pure Python) parser."""

    def __init__(self, stream: str) -> None:
        YamlReader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        BoundedComposer.__init__(self)
        StrictConstructor.__init__(self)
        Resolver.__init__(self)


LOADERS: list[type] = [PurePlanYamlLoader]
if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class FastPlanYamlLoader(BoundedComposer, CParser, StrictConstructor,  # type: ignore[misc]
                             Resolver):
        """The plan loader on libyaml's parser; the Python composer above it keeps the
        limits (the composer of CParser would not)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            BoundedComposer.__init__(self)
            StrictConstructor.__init__(self)
            Resolver.__init__(self)

    LOADERS.insert(0, FastPlanYamlLoader)

for _loader in LOADERS:
    _loader.add_implicit_resolver(  # type: ignore[attr-defined]
        "tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))

#: The loader `load_plan` uses: libyaml's parser when installed.
PLAN_YAML_LOADER: type = LOADERS[0]
