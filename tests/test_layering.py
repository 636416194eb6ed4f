"""The core does not depend on the built-in plugins: they register through entry points like any other."""

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
