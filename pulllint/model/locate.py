"""Walking YAML nodes along `kinds` paths, and finding `image` keys nobody declared.

Both walks go by node identity: an alias (``*ref``) is the same node wherever it appears, so each node is
visited once and an alias bomb costs no more than the document's distinct nodes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pulllint.model.kinds import FieldPath

__all__ = ["Selected", "UnclaimedImage", "find_images", "select"]

_STR = "tag:yaml.org,2002:str"
_PLAIN_KEY = r"^[A-Za-z0-9_$-]+$"  # compiled on first use (re's cache)
Fields = Callable[[MappingNode], dict[str, Node]]


class Selected:
    """A node a path reached: its concrete path (``spec.templates[2].container``) and its parent's fields."""

    __slots__ = ("node", "parent", "path")

    def __init__(self, node: Node, path: str, parent: dict[str, Node]) -> None:
        self.node = node
        self.path = path
        self.parent = parent


def select(root: MappingNode, path: FieldPath, fields: Fields) -> Iterator[Selected]:
    """Every node `path` reaches from `root`, each once. The last ``[]`` of the last step is left to the
    caller (it gets the list itself, to tell a list of containers from something else); an inner
    ``key[]`` that meets something other than a list reaches nothing there."""
    layer: list[Selected] = [Selected(root, "", {})]
    steps = path.steps
    for number, step in enumerate(steps):
        levels = step.each - 1 if number == len(steps) - 1 and step.each else step.each
        following: list[Selected] = []
        seen: set[int] = set()
        for selected in layer:
            if not isinstance(selected.node, MappingNode):
                continue
            here = fields(selected.node)
            if step.key == "*":
                children = list(here.items())
            else:
                child = here.get(step.key)
                children = [] if child is None else [(step.key, child)]
            for key, child in children:
                reached = [Selected(child, f"{selected.path}.{key}" if selected.path else key, here)]
                for _ in range(levels):
                    reached = [
                        Selected(item, f"{outer.path}[{index}]", here)
                        for outer in reached
                        if isinstance(outer.node, SequenceNode)
                        for index, item in enumerate(outer.node.value)
                    ]
                for one in reached:
                    if id(one.node) not in seen:
                        seen.add(id(one.node))
                        following.append(one)
        layer = following
        if not layer:
            return
    yield from layer


class UnclaimedImage:
    __slots__ = ("container_path", "image", "node")

    def __init__(self, node: ScalarNode, image: str, container_path: str | None) -> None:
        self.node = node
        self.image = image
        # The path a `kinds` entry would list under `containers` ("spec.runners[]"); None when the image
        # sits at the top level or under a key a path cannot name.
        self.container_path = container_path


def find_images(
    root: MappingNode, claimed: set[tuple[int, int]], skip: set[int] | None = None, limit: int = 1000
) -> list[UnclaimedImage]:
    """`image` keys with a string value anywhere under `root` but its `status` (what a cluster observed,
    not what it will pull) and the nodes in `skip` (pod specs already read, by identity), except those at
    `claimed` (line, column) of their value (0-based marks): in document order, at most `limit`."""
    found: list[UnclaimedImage] = []
    visited: set[int] = set(skip or ())
    # (node, path parts); a part is a key, or None for a list index
    stack: list[tuple[Node, tuple[str | None, ...]]] = [(root, ())]
    while stack and len(found) < limit:
        node, parts = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, MappingNode):
            children: list[tuple[Node, tuple[str | None, ...]]] = []
            # The last of duplicate keys wins, as in the model (the duplicate itself is PL001).
            last = {key.value: (key, value) for key, value in node.value if isinstance(key, ScalarNode)}
            for key, value in last.values():
                if key.value == "image" and isinstance(value, ScalarNode) and value.tag == _STR:
                    mark = (value.start_mark.line, value.start_mark.column)
                    if mark not in claimed and value.value.strip():
                        found.append(UnclaimedImage(value, value.value, _container_path(parts)))
                    continue
                if isinstance(value, (MappingNode, SequenceNode)) and (parts or key.value != "status"):
                    children.append((value, (*parts, str(key.value))))
            stack.extend(reversed(children))
        elif isinstance(node, SequenceNode):
            stack.extend((item, (*parts, None)) for item in reversed(node.value))
    found.sort(key=lambda f: (f.node.start_mark.line, f.node.start_mark.column))
    return found


def _container_path(parts: tuple[str | None, ...]) -> str | None:
    if not parts or parts[0] is None:
        return None
    text = ""
    for part in parts:
        if part is None:
            text += "[]"
        elif re.match(_PLAIN_KEY, part):
            text += f".{part}" if text else part
        else:
            return None
    return text
