"""The wheel as a user installs it: built from the repository, installed with its
dependencies into a fresh venv outside the checkout, used from an empty folder.

This is the test that notices a template, example or package folder left out of
the distribution (a checkout hides such mistakes: the files are simply there).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("src", "engine", "plugins", "templates", "rulesets", "examples", "pyproject.toml", "README.md")


def _run(args: list[str], cwd: Path, timeout: int = 600, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, "KAOHE_LANG": "zh", **(env or {})})


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources (a build in place would leave build/ behind)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.egg-info", "build", "plugin-template"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    p = _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(src)], cwd=src)
    assert p.returncode == 0, p.stdout + p.stderr
    (built,) = out.glob("kaohe-*.whl")
    return built


@pytest.fixture(scope="module")
def venv_bin(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel and its dependencies (from the package index) installed."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    p = _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
             cwd=env_dir)
    assert p.returncode == 0, p.stderr
    return bin_dir


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_the_wheel_installs_one_import_name_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"kaohe", f"{wheel.name.split('-py')[0]}.dist-info"}
    for needed in ("kaohe/__init__.py", "kaohe/engine/cli/__init__.py", "kaohe/plugins/dea.py",
                   "kaohe/templates/report.html.j2", "kaohe/templates/report.css",
                   "kaohe/rulesets/shunde-court/court.yaml", "kaohe/rulesets/national/court-core.yaml",
                   "kaohe/examples/shunde-court/2025Q1.csv", "kaohe/examples/pzhen/ratings.csv"):
        assert needed in names, needed


def test_every_package_folder_is_in_the_wheel(wheel: Path) -> None:
    """pyproject.toml lists the packages by hand; a new subpackage must be listed too."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, package in (("engine", "kaohe/engine"), ("plugins", "kaohe/plugins")):
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.relative_to(ROOT / folder).as_posix()
            assert f"{package}/{rel}" in names, f"{folder}/{rel}: add its package to pyproject.toml"


def test_no_generic_top_level_modules_and_kaohe_imports(venv_bin: Path, empty: Path) -> None:
    py = str(venv_bin / "python")
    assert _run([py, "-c", "import kaohe; print(kaohe.__version__, kaohe.load_ruleset.__name__)"],
                cwd=empty).returncode == 0
    for generic in ("engine", "plugins"):
        p = _run([py, "-c", f"import {generic}"], cwd=empty)
        assert p.returncode != 0 and "ModuleNotFoundError" in p.stderr, generic


def test_demo_run_and_reports_from_an_empty_folder(venv_bin: Path, empty: Path) -> None:
    kaohe = str(venv_bin / "kaohe")
    demo = _run([kaohe, "demo"], cwd=empty)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert (empty / "reports" / "shunde-court-2025Q4.html").stat().st_size > 10_000
    assert (empty / "kaohe.db").exists()

    # the bundled ruleset and facts, found where the installed package keeps them
    where = _run([str(venv_bin / "python"), "-c",
                  "from kaohe.engine.resources import rulesets_dir, examples_dir; print(rulesets_dir()); print(examples_dir())"],
                 cwd=empty)
    rulesets, examples = (Path(line) for line in where.stdout.split())
    assert ROOT not in rulesets.parents, "the installed package must not point into the checkout"
    ran = _run([kaohe, "run", str(rulesets / "pzhen" / "units.yaml"), "--facts", str(examples / "pzhen" / "2025Q1.csv"),
                "--report", "x.html", "--db", "sqlite:///other.db"], cwd=empty)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "<html" in (empty / "x.html").read_text(encoding="utf-8")

    runs = _run([kaohe, "runs", "--db", "sqlite:///other.db", "--json"], cwd=empty)
    assert runs.returncode == 0, runs.stderr
    import json

    run_id = json.loads(runs.stdout)["runs"][0]["id"]
    xlsx = _run([kaohe, "report", run_id, "--format", "xlsx", "--out", "x.xlsx", "--db", "sqlite:///other.db"], cwd=empty)
    assert xlsx.returncode == 0, xlsx.stdout + xlsx.stderr
    assert zipfile.is_zipfile(empty / "x.xlsx")


def test_a_third_party_plugin_installs_beside_the_wheel(venv_bin: Path, empty: Path, tmp_path: Path) -> None:
    template = ROOT / "examples" / "plugin-template"
    copy = tmp_path / "plugin-template"
    shutil.copytree(template, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    p = _run([str(venv_bin / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(copy)],
             cwd=tmp_path)
    if p.returncode != 0 and "setuptools" in p.stderr:  # the fresh venv may lack setuptools for a no-isolation build
        p = _run([str(venv_bin / "python"), "-m", "pip", "install", "-q", "--no-deps", str(copy)], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    listed = _run([str(venv_bin / "kaohe"), "plugins", "--json"], cwd=empty)
    assert listed.returncode == 0 and "per_judge" in listed.stdout, listed.stderr
    example = template / "example"
    ran = _run([str(venv_bin / "kaohe"), "run", str(example / "per_judge.yaml"), "--facts", str(example / "facts.csv"),
                "--period", "2025Q1", "--json", "--db", "sqlite:///p.db"], cwd=empty)
    assert ran.returncode == 0, ran.stderr
    assert '"per_judge"' in ran.stdout
