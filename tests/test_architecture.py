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
        ("bot/services/outbox.py", "import workers.jobs", "bot/ never imports workers/"),
        ("handlers/text.py", "import redis", "handlers/ is pure"),
        ("bot/domain/clock.py", "import bot.services.steward", "No import cycles"),
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
