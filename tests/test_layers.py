"""The package's layers, read from its imports: no cycles, and imports only go down.

Layers (runledger/README in the code): cli > views > analysis > recording > query > store >
model > the foundation modules at the top of the package (errors, ids, config, redact, crash,
api, version). Type-only imports (under ``if TYPE_CHECKING:``) count too: a view that names a
store type has started to depend on the store.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "runledger"

# What each layer must never import.
FORBIDDEN = {
    "store": {"cli", "views", "analysis", "recording", "query"},
    "model": {"cli", "views", "analysis", "recording", "query", "store"},
    "query": {"cli", "views", "analysis", "recording", "store"},
    "recording": {"cli", "views", "analysis"},
    "analysis": {"cli", "views"},
    "views": {"cli", "store", "recording"},
    "foundation": {"cli", "views", "analysis", "recording", "query", "store", "model"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


@functools.cache
def _imports(module: str) -> frozenset[str]:
    """The runledger modules that ``module`` imports, at any depth of its code. Read when a
    test asks (every module's parse at import cost each xdist worker 0.8 s of CPU)."""
    tree = ast.parse(MODULES[module].read_text())
    imported: set[str] = set()
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                imported.add(full if full in MODULES else base)
    return frozenset(name for name in imported if name in MODULES and name != module)


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or module == "runledger.__main__":
        return "package"  # the public API (lazy imports) and ``python -m runledger``
    if parts[1] in FORBIDDEN:
        return parts[1]
    if MODULES[module].name == "__init__.py" or len(parts) > 2:
        return parts[1]
    return "foundation"


def _cycles() -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in _imports(node):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in MODULES:
        if module not in index:
            visit(module)
    return found


def test_there_are_no_import_cycles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module: str) -> None:
    own = layer(module)
    if own == "package":  # runledger/__init__.py: the light public API, lazy imports
        return
    forbidden = FORBIDDEN.get(own, set())
    bad = sorted(target for target in _imports(module) if layer(target) in forbidden)
    assert bad == [], f"{module} ({own}) imports {bad}"


def test_only_store_git_starts_git() -> None:
    starters = []
    for module, path in MODULES.items():
        text = path.read_text()
        if module != "runledger.store.git" and (
            '"git"' in text and ("subprocess" in text or "Popen" in text)
        ):
            starters.append(module)
    assert starters == []


def test_every_layer_is_a_folder() -> None:
    flat = sorted(m for m in MODULES if layer(m) == "foundation")
    assert flat == [
        "runledger.api",
        "runledger.config",
        "runledger.crash",
        "runledger.errors",
        "runledger.ids",
        "runledger.redact",
        "runledger.safetext",
        "runledger.tomlread",
        "runledger.version",
    ]


def test_the_graph_is_read() -> None:
    """The reader finds real edges, so the tests above cannot pass on an empty graph."""
    assert "runledger.store.git" in _imports("runledger.store.ledger")
    assert "runledger.model.record" in _imports("runledger.store.ledger")
    assert len(MODULES) > 50
