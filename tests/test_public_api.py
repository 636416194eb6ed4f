"""The public API named in kaohe/__init__.py (src/kaohe) exists and works as its docstring shows."""

from __future__ import annotations

from pathlib import Path

import pytest

import kaohe

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", [n for n in kaohe.__all__ if n != "__version__"])
def test_every_exported_name_resolves(name):
    assert getattr(kaohe, name) is not None


def test_the_docstring_example(tmp_path):
    ruleset = kaohe.load_ruleset(ROOT / "rulesets" / "shunde-court" / "court.yaml")
    outcome = kaohe.run_and_store(ruleset.path, ROOT / "examples" / "shunde-court" / "2025Q1.csv",
                                  db=f"sqlite:///{tmp_path / 'k.db'}")
    assert outcome.as_json()["units"][0]["grade"] in {g.name for g in ruleset.model.grades}


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError):
        kaohe.nope  # noqa: B018


def test_the_engine_package_is_kaohe_engine():
    import kaohe.engine

    assert kaohe.engine.__version__ == kaohe.__version__


def test_type_checkers_see_every_exported_name():
    """The TYPE_CHECKING imports of kaohe/__init__.py name exactly the lazy exports (mypy sees real types)."""
    import ast

    tree = ast.parse(Path(kaohe.__file__).read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            seen[alias.asname or alias.name] = (node.module, alias.name)
    exports = {name: (t if isinstance(t, tuple) else (t, name)) for name, t in kaohe._EXPORTS.items()}
    assert seen == exports
    assert kaohe.__all__ == ["__version__", *kaohe._EXPORTS]
