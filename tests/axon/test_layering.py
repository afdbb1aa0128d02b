"""The house's layers, checked on the import graph (read with ``ast``, nothing imported).

Layers, bottom to top; a module may import its own layer and the layers below, never one
above (lazy imports inside functions and ``TYPE_CHECKING`` imports count too):

    core          axon._core       messages, errors, services, instruments, boxes, the
                                   task protocol, component, scheduler, snapshots
    compositions  axon._compose    Pipeline, Graphline, Seq, Carousel, Backplane, ...
    processes     axon._processes  wire codecs, the crossing, ChildProcess, WorkerPool
    tools         axon._tools      drawings, the introspector, the axon command
    api           axon, axon.cli, axon.testing   (what users import)
    library       components       (and components.nats, components.testing)
    apps          apps

Across layers a module imports only another layer's *API*: its package (``axon._core``)
or a public module of it (``components.timing``), and only names without a leading
underscore; a package's ``__all__``, where it has one, lists what may be imported.  A
layer whose package is private (``axon._core``) is imported only from inside ``axon``:
everything else uses ``axon``.  Within a layer, modules import each other freely.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: (layer, the packages and modules in it), bottom first.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("axon._core",)),
    ("compositions", ("axon._compose",)),
    ("processes", ("axon._processes",)),
    ("tools", ("axon._tools",)),
    ("api", ("axon",)),
    ("library", ("components",)),
    ("apps", ("apps",)),
]


@dataclass(frozen=True)
class Module:
    name: str  # dotted
    path: Path
    is_package: bool


def modules(root: Path, packages: Sequence[str]) -> Iterator[Module]:
    """Every module of the top-level ``packages`` under ``root``."""
    for top in packages:
        base = root / top
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = list(rel.parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            yield Module(".".join(parts), path, is_package)


def layer_of(name: str, layers: Sequence[tuple[str, tuple[str, ...]]]) -> tuple[int, str] | None:
    """(index, root) of the layer ``name`` belongs to: the longest matching root."""
    best: tuple[int, str] | None = None
    for i, (_, roots) in enumerate(layers):
        for r in roots:
            if (name == r or name.startswith(r + ".")) and (best is None or len(r) > len(best[1])):
                best = (i, r)
    return best


def imports(mod: Module) -> Iterator[tuple[int, str, list[str]]]:
    """(line, imported module, names imported from it) for every import in ``mod``."""
    tree = ast.parse(mod.path.read_text(), str(mod.path))
    package = mod.name if mod.is_package else mod.name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target, [a.name for a in node.names]


def declared_all(root: Path, package: str) -> set[str] | None:
    """The names in ``package``'s ``__all__`` (None if it has none, or is not a package)."""
    init = root.joinpath(*package.split("."), "__init__.py")
    if not init.exists():
        return None
    for node in ast.parse(init.read_text()).body:
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                 for t in node.targets)):
            return {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
    return None


def violations(root: Path, layers: Sequence[tuple[str, tuple[str, ...]]] = LAYERS) -> list[str]:
    """Every import that breaks the rules of the module docstring, as ``path:line: why``."""
    tops = sorted({r.split(".")[0] for _, roots in layers for r in roots})
    found: list[str] = []
    for mod in modules(root, tops):
        here = layer_of(mod.name, layers)
        assert here is not None
        for line, target, names in imports(mod):
            there = layer_of(target, layers)
            if there is None:
                continue  # the standard library or a third party
            where = f"{mod.path.relative_to(root)}:{line}"
            if there[0] > here[0]:
                found.append(f"{where}: {layers[here[0]][0]} imports {target} from the "
                             f"{layers[there[0]][0]} layer above it")
                continue
            if there[0] == here[0]:
                continue
            rest = target[len(there[1]):].lstrip(".")
            private = [p for p in rest.split(".") if p.startswith("_")] if rest else []
            if private:
                found.append(f"{where}: imports {target}, a private module of the "
                             f"{layers[there[0]][0]} layer (import from {there[1]})")
                continue
            if any(p.startswith("_") for p in there[1].split(".")) and \
                    there[1].split(".")[0] != mod.name.split(".")[0]:
                found.append(f"{where}: imports {target}, a private package of another "
                             f"package (import from {there[1].split('.')[0]})")
                continue
            bad = [n for n in names if n.startswith("_")]
            listed = declared_all(root, target)
            if listed is not None:
                bad += [n for n in names if n != "*" and n not in listed and not n.startswith("_")]
            if bad:
                found.append(f"{where}: imports {', '.join(bad)} from {target}, not in the "
                             f"{layers[there[0]][0]} layer's API")
    return found


# -- the house ----------------------------------------------------------------------------


def test_no_layer_imports_upward_or_another_layers_private_names() -> None:
    assert violations(ROOT) == []


def test_every_module_belongs_to_a_layer_and_the_layers_are_the_documented_ones() -> None:
    names = [m.name for m in modules(ROOT, ["axon", "components", "apps"])]
    assert names and all(layer_of(n, LAYERS) is not None for n in names)
    assert {m.name for m in modules(ROOT, ["axon"]) if m.is_package} >= {
        "axon", "axon._core", "axon._compose", "axon._processes", "axon._tools", "axon.cli"}


# -- the checker, on planted violations ----------------------------------------------------

TOY_LAYERS = [("low", ("toy._low",)), ("high", ("toy._high",)), ("top", ("toy",)),
              ("user", ("user",))]


def toy(tmp_path: Path, files: dict[str, str]) -> Path:
    """A package ``toy`` (``toy._low`` under ``toy._high``) and a user of it, with
    ``files`` (path -> source) added."""
    base = {
        "toy/__init__.py": "from ._high import Thing\n__all__ = ['Thing']\n",
        "toy/_low/__init__.py": "from ._a import Base, helper\n__all__ = ['Base', 'helper']\n",
        "toy/_low/_a.py": "class Base: ...\ndef helper(): ...\ndef _secret(): ...\n",
        "toy/_high/__init__.py": "from ._b import Thing\n__all__ = ['Thing']\n",
        "toy/_high/_b.py": "from .._low import Base, helper\nclass Thing(Base): ...\n",
        "user/__init__.py": "from toy import Thing\n",
    }
    for rel, text in {**base, **files}.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_toy_is_clean(tmp_path: Path) -> None:
    assert violations(toy(tmp_path, {}), TOY_LAYERS) == []


def test_an_upward_import_is_found_even_lazy_or_for_types_only(tmp_path: Path) -> None:
    root = toy(tmp_path, {
        "toy/_low/_c.py": "def f():\n    from .._high import Thing\n",
        "toy/_low/_d.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                           "    import toy._high\n"),
        "toy/_high/_e.py": "import user\n",
    })
    assert violations(root, TOY_LAYERS) == [
        "toy/_high/_e.py:1: high imports user from the user layer above it",
        "toy/_low/_c.py:2: low imports toy._high from the high layer above it",
        "toy/_low/_d.py:3: low imports toy._high from the high layer above it",
    ]


def test_a_private_module_or_name_of_another_layer_is_found(tmp_path: Path) -> None:
    root = toy(tmp_path, {
        "toy/_high/_f.py": "from .._low._a import Base\n",
        "toy/_high/_g.py": "from .._low import _secret\n",
        "toy/_high/_h.py": "from .._low import Thing2\n",  # not in toy._low.__all__
        "user/more.py": "from toy._low import Base\n",
        "toy/_low/_i.py": "from ._a import _secret\n",  # within a layer: allowed
    })
    assert violations(root, TOY_LAYERS) == [
        "toy/_high/_f.py:1: imports toy._low._a, a private module of the low layer "
        "(import from toy._low)",
        "toy/_high/_g.py:1: imports _secret from toy._low, not in the low layer's API",
        "toy/_high/_h.py:1: imports Thing2 from toy._low, not in the low layer's API",
        "user/more.py:1: imports toy._low, a private package of another package "
        "(import from toy)",
    ]


def test_a_violation_planted_in_a_copy_of_the_real_tree_is_found(tmp_path: Path) -> None:
    for top in ("axon", "components", "apps"):
        shutil.copytree(ROOT / top, tmp_path / top,
                        ignore=shutil.ignore_patterns("__pycache__"))
    box = tmp_path / "axon" / "_core" / "_box.py"
    box.write_text(box.read_text() + "\nfrom .._compose import Pipeline\n")
    flow = tmp_path / "axon" / "_compose" / "_pipeline.py"
    flow.write_text(flow.read_text() + "\nfrom .._core._box import _push_outside\n")
    lib = tmp_path / "components" / "sinks.py"
    lib.write_text(lib.read_text() + "\nfrom axon._core import Task\n")
    found = violations(tmp_path)
    assert [f.split(":", 1)[0] for f in found] == [
        "axon/_compose/_pipeline.py", "axon/_core/_box.py", "components/sinks.py"]
    assert [f.split(": ", 1)[1] for f in found] == [
        "imports axon._core._box, a private module of the core layer (import from axon._core)",
        "core imports axon._compose from the compositions layer above it",
        "imports axon._core, a private package of another package (import from axon)",
    ]
