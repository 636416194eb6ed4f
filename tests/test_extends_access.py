"""What ``extends`` may read (issue 8 #7): YAML rulesets inside the rulesets folder tree, a
folder given on the command line or listed in KAOHE_LIBRARY; anything with --allow-outside."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kaohe.engine.errors import Location, RulesetError
from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.ruleset.access import ExtendsPolicy, check_ruleset_text, rulesets_root
from tests.samples import MINI

CORE = textwrap.dedent(MINI).lstrip("\n")
CHILD = "kaohe: 1\nid: child-court\nname: 子规则集\nextends: {target}\nperiod: quarter\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _refusal(path: Path, policy: ExtendsPolicy | None = None) -> str:
    with pytest.raises(RulesetError) as caught:
        load_ruleset(path, extends=policy)
    [problem] = caught.value.problems
    assert problem.location is not None and problem.location.path == "extends" and problem.location.line == 4
    return problem.code


def test_the_rulesets_root_is_the_nearest_rulesets_folder_else_the_own_folder(tmp_path):
    assert rulesets_root(tmp_path / "rulesets" / "region" / "x.yaml") == (tmp_path / "rulesets").resolve()
    assert rulesets_root(tmp_path / "rulesets" / "a" / "rulesets" / "x.yaml") == (tmp_path / "rulesets" / "a" / "rulesets").resolve()
    assert rulesets_root(tmp_path / "region" / "x.yaml") == (tmp_path / "region").resolve()


def test_a_sibling_region_inside_the_rulesets_folder_may_be_extended(tmp_path):
    _write(tmp_path / "rulesets" / "national" / "core.yaml", CORE)
    child = _write(tmp_path / "rulesets" / "region" / "child.yaml", CHILD.format(target="../national/core.yaml"))
    assert load_ruleset(child).model.id == "child-court"


def test_outside_a_rulesets_folder_only_the_own_folder_tree_may_be_extended(tmp_path):
    _write(tmp_path / "core" / "mini.yaml", CORE)
    _write(tmp_path / "region" / "lib" / "mini.yaml", CORE)
    child = _write(tmp_path / "region" / "child.yaml", CHILD.format(target="../core/mini.yaml"))
    assert _refusal(child) == "extends.outside"
    below = _write(tmp_path / "region" / "below.yaml", CHILD.format(target="lib/mini.yaml"))
    assert load_ruleset(below).model.id == "child-court"
    # a folder the caller names (the command line: a folder argument) widens it, --allow-outside lifts it
    assert load_ruleset(child, extends=ExtendsPolicy((tmp_path,))).model.id == "child-court"
    assert load_ruleset(child, extends=ExtendsPolicy(allow_outside=True)).model.id == "child-court"


def test_kaohe_library_lists_folders_for_a_core_kept_elsewhere(tmp_path, monkeypatch):
    library = tmp_path / "library"
    _write(library / "core.yaml", CORE)
    child = _write(tmp_path / "rulesets" / "region" / "child.yaml", CHILD.format(target=library / "core.yaml"))
    assert _refusal(child) == "extends.outside"
    monkeypatch.setenv("KAOHE_LIBRARY", f"{tmp_path / 'elsewhere'}:{library}")
    assert load_ruleset(child).model.id == "child-court"


def test_only_yaml_files_and_only_rulesets_even_with_allow_outside(tmp_path):
    everything = ExtendsPolicy(allow_outside=True)
    _write(tmp_path / "notes.txt", "kaohe: 1\n")
    _write(tmp_path / "settings.yaml", "password: x\n")
    txt = _write(tmp_path / "rulesets" / "a.yaml", CHILD.format(target="../notes.txt"))
    assert _refusal(txt, everything) == "extends.not_yaml"
    settings = _write(tmp_path / "rulesets" / "b.yaml", CHILD.format(target="../settings.yaml"))
    assert _refusal(settings, everything) == "extends.not_ruleset"


@pytest.mark.parametrize("text", ["kaohe: 1\n", "\ufeffkaohe: 1\n", '"kaohe": 1\n', "# 注释\nid: x\nkaohe : 1\n",
                                  '{"kaohe": 1, "id": "x"}', '\n{\n  "kaohe": 1,\n  "id": "x"\n}\n'])
def test_a_version_key_line_makes_a_file_look_like_a_ruleset(text):
    check_ruleset_text("x.yaml", text, Location("child.yaml", 4, 10))


@pytest.mark.parametrize("text", ["id: x\n", "  kaohe: 1\n", "notes: |\n  kaohe: 1\n", "kaohe_version: 1\n",
                                  '{"id": "x", "kaohe": 1}', '[{"kaohe": 1}]'])
def test_without_a_top_level_version_key_it_is_not_a_ruleset(text):
    with pytest.raises(RulesetError) as caught:
        check_ruleset_text("x.yaml", text, Location("child.yaml", 4, 10))
    assert caught.value.problems[0].code == "extends.not_ruleset"


def test_on_the_command_line_the_project_and_a_folder_given_may_be_extended(kaohe, project, monkeypatch):
    root = project({"core/mini.yaml": MINI, "region/child.yaml": CHILD.format(target="../core/mini.yaml")})
    assert kaohe("validate", root / "region" / "child.yaml").exit_code == 0  # kaohe runs in the project
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    refused = kaohe("validate", root / "region" / "child.yaml")
    assert refused.exit_code == 1 and "不在规则集文件夹" in refused.stderr and "--allow-outside" in refused.stderr
    assert kaohe("validate", root).exit_code == 0
    assert kaohe("validate", root / "region" / "child.yaml", "--allow-outside").exit_code == 0


def test_diff_and_form_read_extends_as_validate_and_run_do(kaohe, project, monkeypatch):
    from tests.samples import Q1

    child = CHILD.format(target="../core/mini.yaml")
    root = project({"core/mini.yaml": MINI, "region/child.yaml": child, "region/child-2026.yaml": child.replace(
        "id: child-court", "id: child-court-2026"), "q1.csv": Q1, "units.csv": "unit,name,category\nc01,刑一庭,criminal\n"})
    region = root / "region"
    diff = ("diff", region / "child.yaml", region / "child-2026.yaml", "--facts", root / "q1.csv", "--period", "2025Q1")
    form = ("form", region / "child.yaml", "--units", root / "units.csv", "--out", root / "f.xlsx")
    for args in (diff, form):
        assert kaohe(*args).exit_code == 0, args  # kaohe runs in the project
    monkeypatch.chdir(root / "region")
    for args in (diff, form):
        refused = kaohe(*args)
        assert refused.exit_code == 1 and "--allow-outside" in refused.stderr, args
        assert kaohe(*args, "--allow-outside").exit_code == 0, args
