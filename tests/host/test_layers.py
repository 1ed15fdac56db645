"""The host package's layering (docs/architecture.md, "Host layers"), checked on its import graph.

Every module of host/qlr belongs to one layer of LAYERS; a module may import modules of its own
layer or of layers below it, never above. Command modules (`cli.py`, `cli_*.py`, `__main__.py`)
form the top layer whatever package they sit in. On top of that: no import cycle between
modules (function-level imports count: a cycle hidden in a function is still a cycle), none
between packages, and no function-level import of a qlr module at all (the only lazy imports left
are of heavy optional libraries, see LAZY_ALLOWED). A new package must be placed in LAYERS
before its first test run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from qlr import REPO_ROOT

PACKAGE = REPO_ROOT / "host" / "qlr"

# Bottom to top. A module imports only from its own layer or those before it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("qlr", "qlr.errors", "qlr.npz", "qlr.cache", "qlr.plotting", "qlr.sweep")),
    ("numerics and data", ("qlr.golden", "qlr.data")),
    ("model", ("qlr.model",)),
    ("quantization and training", ("qlr.quant", "qlr.train")),
    ("image", ("qlr.image",)),
    ("link", ("qlr.link",)),
    ("boards", ("qlr.boards",)),
    ("kernels and continual learning", ("qlr.kernels", "qlr.cl")),
    ("bench, reports and code generation", ("qlr.bench", "qlr.report", "qlr.codegen")),
    ("commands", ()),  # every cli.py, cli_*.py and __main__.py, see layer_of
]
COMMANDS = len(LAYERS) - 1
# Third-party modules that may be imported inside a function, and why.
LAZY_ALLOWED = {"matplotlib": "about a second to import; loaded only to draw (qlr.plotting)",
                "onnx": "an optional dependency (the qlr[onnx] extra), loaded only to import an ONNX file",
                "distributed": "an optional dependency (the qlr[distributed] extra), loaded only for a distributed sweep",
                "dask": "installed with distributed (its configuration), loaded only for a distributed sweep",
                "labgrid": "an optional dependency (the qlr[labgrid] extra), loaded only when --labgrid is given"}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (a qlr module, or the top-level name of a third-party one)
    line: int
    in_function: bool


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> list[Import]:
    """Every import statement of a module: the qlr modules it names (`from qlr.x import y` names
    qlr.x.y when that is a module, else qlr.x) and the top-level names of other modules."""
    tree = ast.parse(path.read_text(), str(path))
    out: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for a in child.names:
                    out.append(Import(name, a.name if a.name in known else a.name.split(".")[0], child.lineno,
                                      in_function))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: resolve against this module's package
                    pkg = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    pkg = pkg[: len(pkg) - (child.level - 1)]
                    base = ".".join(pkg + ([base] if base else []))
                for a in child.names:
                    full = f"{base}.{a.name}"
                    target = full if full in known else base if base in known else base.split(".")[0]
                    out.append(Import(name, target, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return out


def layer_of(module: str) -> int:
    last = module.rsplit(".", 1)[-1]
    if last == "cli" or last.startswith("cli_") or last == "__main__":
        return COMMANDS
    best = None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if module == p or (p != "qlr" and module.startswith(p + ".")):
                if best is None or len(p) > best[1]:
                    best = (i, len(p))
    if best is None:
        raise KeyError(module)
    return best[0]


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def graph(root: Path = PACKAGE) -> tuple[dict[str, Path], list[Import]]:
    mods = modules(root)
    known = set(mods)
    return mods, [i for name, path in mods.items() for i in imports_of(name, path, known)]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def violations(root: Path = PACKAGE) -> list[str]:
    mods, imps = graph(root)
    problems = []
    for m in mods:
        try:
            layer_of(m)
        except KeyError:
            problems.append(f"{m}: in no layer of LAYERS (tests/host/test_layers.py): place it")
    if problems:
        return problems
    for i in imps:
        if i.target in mods:
            src, dst = layer_of(i.source), layer_of(i.target)
            if dst > src:
                problems.append(f"{i.source}:{i.line} imports {i.target}: layer '{LAYERS[src][0]}' may not "
                                f"import the higher layer '{LAYERS[dst][0]}'")
            if i.in_function:
                problems.append(f"{i.source}:{i.line} imports {i.target} inside a function: import it at module "
                                "level (a function-level import of qlr hides a cycle or a layer break)")
        elif i.in_function and i.target not in LAZY_ALLOWED:
            problems.append(f"{i.source}:{i.line} imports {i.target} inside a function: only "
                            f"{', '.join(LAZY_ALLOWED)} may be imported lazily")
    module_edges: dict[str, set[str]] = {}
    package_edges: dict[str, set[str]] = {}
    for i in imps:
        if i.target in mods and i.target != i.source:
            module_edges.setdefault(i.source, set()).add(i.target)
            a, b = package_of(i.source), package_of(i.target)
            if a != b and layer_of(i.source) != COMMANDS:
                package_edges.setdefault(a, set()).add(b)
    problems += [f"import cycle between modules: {' -> '.join(c)}" for c in cycles(module_edges)]
    problems += [f"import cycle between packages: {' -> '.join(c)}" for c in cycles(package_edges)]
    return problems


def test_host_package_imports_only_downward_without_cycles():
    problems = violations()
    assert not problems, "\n".join(problems)


def test_every_layer_names_existing_packages():
    mods = modules()
    for name, prefixes in LAYERS:
        for p in prefixes:
            assert p in mods, f"layer {name!r} names {p}, which is not a module of host/qlr"


# ---- the checker itself can fail: a throw-away package with each kind of fault ----------------

def write(root: Path, files: dict[str, str]) -> Path:
    pkg = root / "qlr"
    for rel, text in files.items():
        p = pkg / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return pkg


CLEAN = {"__init__.py": "", "errors.py": "", "link/__init__.py": "", "link/link.py": "from qlr.errors import x\n",
         "boards/__init__.py": "", "boards/session.py": "from qlr.link.link import Link\n",
         "boards/cli_run.py": "from qlr.boards.session import s\n"}


@pytest.mark.parametrize("edit,message", [
    ({"link/link.py": "from qlr.boards.session import s\n"}, "may not import the higher layer 'boards'"),
    ({"link/link.py": "def f():\n    from qlr.errors import x\n"}, "inside a function"),
    ({"link/link.py": "def f():\n    import numpy\n"}, "only matplotlib, onnx, distributed, dask, labgrid may be imported lazily"),
    ({"boards/session.py": "from qlr.boards.cli_run import main\n"}, "may not import the higher layer 'commands'"),
    ({"boards/a.py": "import qlr.boards.b\n", "boards/b.py": "from qlr.boards import a\n"},
     "import cycle between modules: qlr.boards.a -> qlr.boards.b"),
    ({"quant/__init__.py": "", "train/__init__.py": "", "quant/q.py": "from qlr.train.t import x\n",
      "train/t.py": "from qlr.quant.q import y\n"}, "import cycle between modules"),
    ({"quant/__init__.py": "", "train/__init__.py": "", "quant/q.py": "from qlr.train.t import x\n",
      "train/u.py": "from qlr.quant.r import y\n", "train/t.py": "", "quant/r.py": ""},
     "import cycle between packages: qlr.quant -> qlr.train"),
    ({"newpkg/__init__.py": ""}, "qlr.newpkg: in no layer"),
])
def test_checker_catches(tmp_path, edit, message):
    pkg = write(tmp_path, {**CLEAN, **edit})
    problems = violations(pkg)
    assert any(message in p for p in problems), problems


def test_checker_passes_a_clean_package(tmp_path):
    assert violations(write(tmp_path, CLEAN)) == []
