"""examples/plugin-template installs as a package and its metric works from a ruleset.

The package is installed with pip into a temporary target folder (``--no-deps``:
kaohe itself is already here), put on ``sys.path``, and found by kaohe the way
every plugin is — through ``importlib.metadata`` entry points — not by import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaohe.engine.plugins import registry
from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.run import run

TEMPLATE = Path(__file__).resolve().parent.parent / "examples" / "plugin-template"


EXAMPLE = TEMPLATE / "example"  # the template's own ruleset and facts using per_judge


def template_copy(folder: Path) -> Path:
    """The template copied out of the tree: pip builds in place and would leave build/ behind."""
    import shutil

    dest = folder / "plugin-template"
    shutil.copytree(TEMPLATE, dest, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    work = tmp_path_factory.mktemp("build")
    p = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                        str(template_copy(work))], capture_output=True, text=True, timeout=120, cwd=work,
                       check=False)
    assert p.returncode == 0, p.stderr
    return target


@pytest.fixture
def on_path(installed: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(installed))
    monkeypatch.setattr(registry, "_metrics", None)  # rediscover entry points with the new path
    yield installed
    sys.modules.pop("kaohe_per_judge", None)
    registry._metrics = None  # forget per_judge again for later tests


def test_the_installed_metric_is_discovered_and_evaluated(on_path, tmp_path):
    assert "per_judge" in registry.names()
    outcome = run(EXAMPLE / "per_judge.yaml", EXAMPLE / "facts.csv", period="2025Q1",
                  db=f"sqlite:///{tmp_path / 'k.db'}")
    got = {u.unit: (u.indicators["per_judge"].value, u.indicators["per_judge"].score) for u in outcome.units}
    # a: 120 / 4 = 30 -> score 100; b: 40 / 4 = 10 -> 0; c has 0 judges (< min_judges 1) -> no value
    assert got == {"a": (30, 100), "b": (10, 0), "c": (None, None)}


def test_the_installed_metric_validates_its_parameters(on_path, tmp_path):
    text = (EXAMPLE / "per_judge.yaml").read_text(encoding="utf-8")
    (tmp_path / "r.yaml").write_text(text.replace("with: {min_judges: 1}", "with: {min_judges: 0}"), encoding="utf-8")
    with pytest.raises(Exception) as e:
        load_ruleset(tmp_path / "r.yaml")
    message = e.value.problems[0].message("en")  # type: ignore[attr-defined]
    assert "`per_judge`" in message and "min_judges" in message


def test_the_template_s_own_tests_pass_when_installed(installed):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), *sys.path])}
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TEMPLATE / "tests")],
                       capture_output=True, text=True, env=env, timeout=120, cwd=installed, check=False)
    assert p.returncode == 0, p.stdout + p.stderr


def test_the_template_installs_into_a_fresh_venv_and_works_from_the_cli(tmp_path: Path) -> None:
    """A new virtual environment: kaohe's installed dependencies are made visible with a
    ``.pth`` file (no network for them), the template is pip-installed into it, and the
    venv's own interpreter lists and runs the metric through the real CLI."""
    import site
    import venv

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    import kaohe

    kaohe_home = Path(kaohe.__file__).parent.parent  # the folder holding the installed `kaohe` package
    (Path(purelib) / "kaohe_deps.pth").write_text("\n".join([str(kaohe_home), *ours]) + "\n")
    p = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(template_copy(tmp_path))],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert p.returncode == 0, p.stderr
    cli = [str(py), "-c", "from kaohe.engine.cli import main; main()"]
    listed = subprocess.run([*cli, "plugins", "--json"], capture_output=True, text=True, check=False)
    assert listed.returncode == 0, listed.stderr
    assert "per_judge" in listed.stdout
    ran = subprocess.run([*cli, "run", str(EXAMPLE / "per_judge.yaml"), "--facts", str(EXAMPLE / "facts.csv"), "--period", "2025Q1", "--json",
                          "--db", f"sqlite:///{tmp_path / 'k.db'}"],
                         capture_output=True, text=True, check=False, cwd=tmp_path,
                         env={**os.environ, "KAOHE_LANG": "en"})
    assert ran.returncode == 0, ran.stderr
    assert '"per_judge"' in ran.stdout
