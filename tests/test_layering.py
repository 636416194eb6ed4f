"""Layering: the core does not depend on the built-in plugins (they register through entry points
like any other), and test modules share data through fixtures and helper modules, never by
importing each other."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_the_engine_never_imports_the_builtin_plugins():
    offenders = sorted(f"{p.relative_to(ROOT)}: {m}" for p in (ROOT / "engine").rglob("*.py")
                       for m in _imports(p) if m == "kaohe.plugins" or m.startswith("kaohe.plugins."))
    assert offenders == []


def test_the_check_sees_imports():
    """The checker itself finds an import of a plugin module (so the test above can fail)."""
    assert "kaohe.plugins.dea_core" in _imports(ROOT / "plugins" / "dea.py")


def test_test_modules_never_import_each_other():
    """Shared data lives in tests/samples.py, fixtures in tests/conftest.py, helpers in non-test modules."""
    offenders = sorted(f"{p.name}: {m}" for p in (ROOT / "tests").glob("*.py")
                       for m in _imports(p) if m.startswith("tests.test_"))
    assert offenders == []

