"""The house rules, checked: imports run one way (import-linter contracts in pyproject.toml), no
project import hides inside a function, modules stay small.

The contracts are also run against a copy of the tree with one bad import planted, so a contract
that could not fail would fail here."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "workers")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 400


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)


def _sources() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py")) if "migrations" not in p.parts]


def test_import_contracts_hold() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        ("bot/services/uow/outbox.py", "import workers.jobs", "bot/ never imports workers/"),
        ("handlers/text.py", "import redis", "handlers/ is pure"),
        ("bot/domain/clock.py", "import bot.services.uow.steward", "No import cycles"),
    ],
)
def test_a_planted_bad_import_breaks_a_contract(tmp_path: Path, module: str, planted: str, broken: str) -> None:
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__", "model", "corpus"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{planted}  # planted by the test\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert broken in result.stdout.split("Broken contracts")[-1]


def _function_level_project_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] in PACKAGES]
    return found


def test_no_project_import_inside_a_function() -> None:
    """Imports inside functions hid an import cycle once; now the layers keep cycles out instead."""
    found = [hit for p in _sources() for hit in _function_level_project_imports(p)]
    assert found == []


def test_modules_stay_small() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in _sources()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_every_package_says_what_lives_there() -> None:
    missing = [str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("__init__.py")
               if "migrations" not in p.parts and not ast.get_docstring(ast.parse(p.read_text()))]
    assert missing == []


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_cycles(root: Path) -> list[list[str]]:
    """Cycles in what importing a module runs: `import a.b.c` and `from a.b import c` run the faces
    `a` and `a.b` too, so a face that imports its rooms and a room that imports through the face
    is a cycle, though no two sibling modules import each other."""
    paths = {_module_name(root, p): p for pkg in PACKAGES for p in (root / pkg).rglob("*.py")
             if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        runs: set[str] = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                parts = target.split(".")
                prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
                runs |= {m for m in prefixes if m in paths and m != name}
        # A module's own ancestors are already being imported when it runs: only an explicit
        # `from <ancestor> import …` makes it wait on the face.
        explicit = {node.module for node in ast.walk(ast.parse(path.read_text()))
                    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module}
        graph[name] = {m for m in runs if not name.startswith(m + ".") or m in explicit}
    cycles, index, low, stack, on_stack = [], {}, {}, [], set()

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_no_import_cycles_package_faces_included() -> None:
    assert _import_cycles(ROOT) == []


def test_a_face_that_imports_its_rooms_makes_a_cycle(tmp_path: Path) -> None:
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__", "model", "corpus"))
    face = tmp_path / "handlers" / "__init__.py"
    face.write_text(face.read_text() + "\nfrom handlers.conversation import decide  # planted by the test\n")
    assert any("handlers" in cycle and "handlers.conversation" in cycle for cycle in _import_cycles(tmp_path))
