"""Data shipped inside the package: report templates, example rulesets and facts.

Everything is found through :mod:`importlib.resources`, never by a path relative
to the checkout, so a wheel installed anywhere finds the same files as a git
checkout (where the editable install maps ``kaohe.templates`` to ``templates/``).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_dir(name: str) -> Path:
    """A data folder inside the installed ``kaohe`` package (``templates``, ``rulesets`` …).

    The data folders are namespace packages (no ``__init__.py``), so they are
    reached from ``kaohe`` itself; kaohe is installed unzipped (wheels are), so
    the traversable is a real folder.
    """
    return Path(str(files("kaohe").joinpath(name)))


def templates_dir() -> Path:
    """The project's report templates (a region's own templates are looked up first)."""
    return data_dir("templates")


def rulesets_dir() -> Path:
    """The bundled example rulesets (one folder per region, plus ``national/``)."""
    return data_dir("rulesets")


def examples_dir() -> Path:
    """The bundled example facts, one folder per region."""
    return data_dir("examples")
