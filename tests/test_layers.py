"""The house has floors: import-linter's contracts, no import cycles, no engine imports hidden in functions."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept() -> None:
    """Layers of design.md, core free of the faces and Textual, devtools only for demo and tests."""
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "broken" in out.stdout and "0 broken" in out.stdout


def test_the_engine_has_no_import_cycle() -> None:
    graph = grimp.build_graph("courier.core")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.find_shortest_chain(importer=imported, imported=module):
                cycles.append(f"{module} <-> {imported}")
    assert cycles == []


def _hidden_imports(path: Path) -> list[str]:
    """Imports of courier.core inside a function, a method or an `if TYPE_CHECKING:` block."""
    tree = ast.parse(path.read_text())
    found: list[str] = []

    def engine(node: ast.AST) -> str | None:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("courier.core"):
            return node.module
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("courier.core")]
            return names[0] if names else None
        return None

    for node in ast.walk(tree):
        nested = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or (
            isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
        if nested:
            for inner in ast.walk(node):
                if (module := engine(inner)) is not None:
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno} imports {module}")
    return found


def test_no_engine_module_imports_another_inside_a_function() -> None:
    # core/__init__.py names the public API for type checkers only (PEP 562 resolves it lazily)
    hidden = [line for path in sorted((ROOT / "core").rglob("*.py")) if path != ROOT / "core" / "__init__.py"
              for line in _hidden_imports(path)]
    assert hidden == []


def test_the_hidden_import_check_can_fail(tmp_path: Path) -> None:
    sample = ROOT / "core" / "_sample_for_test.py"
    sample.write_text("def f():\n    from courier.core.errors import ConfigError\n    return ConfigError\n")
    try:
        assert _hidden_imports(sample) == ["core/_sample_for_test.py:2 imports courier.core.errors"]
    finally:
        sample.unlink()
