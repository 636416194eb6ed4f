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
