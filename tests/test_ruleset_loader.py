"""The ruleset loader: every malformed ruleset is a RulesetError naming file, line,
column and YAML path, in Chinese by default and English on request, with a hint."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from kaohe.engine.errors import Problem, RulesetError
from kaohe.engine.ruleset import load_ruleset
from tests.samples import MINI

BASE = textwrap.dedent(MINI).lstrip("\n")
HAN = re.compile(r"[\u4e00-\u9fff]")


def edited(*edits: tuple[str, str], text: str = BASE) -> str:
    """``text`` with each (old, new) replaced once; old must be there."""
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def position(text: str, fragment: str, offset: int = 0) -> tuple[int, int]:
    """1-based (line, column) of ``fragment`` (plus ``offset`` characters) in ``text``."""
    i = text.index(fragment) + offset
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


def write(tmp_path: Path, text: str, name: str = "mini.yaml") -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def load_error(path: Path, *, strict: bool = False) -> RulesetError:
    with pytest.raises(RulesetError) as info:
        load_ruleset(path, strict=strict)
    return info.value


def only(err: RulesetError, code: str | None = None) -> Problem:
    """The single problem of ``err`` (of ``code`` when given)."""
    problems = [p for p in err.problems if code is None or p.code == code]
    assert len(problems) == 1, [(p.code, p.params) for p in err.problems]
    return problems[0]


def assert_where(p: Problem, path: Path, line: int, column: int | None, yaml_path: str | None) -> None:
    assert p.location is not None
    assert Path(p.location.file).resolve() == path.resolve(), p.location
    assert p.location.line == line, p.location
    if column is not None:
        assert p.location.column == column, p.location
    assert p.location.path == yaml_path, p.location


def assert_rendered(err: RulesetError, path: Path, *fragments: str, hint: bool = False) -> None:
    """Chinese by default, English with render('en'); both name the file; fragments in both."""
    zh, en = err.render(), err.render("en")
    assert zh == err.render("zh")
    assert HAN.search(zh.replace(str(path), "")), zh
    assert "错误" in zh and "error" in en
    assert path.name in zh and path.name in en
    for f in fragments:
        assert f in zh, (f, zh)
        assert f in en, (f, en)
    if hint:
        assert "建议" in zh and "hint" in en


def test_mini_loads_cleanly(tmp_path):
    rs = load_ruleset(write(tmp_path, BASE))
    assert rs.model.id == "mini-court" and rs.warnings == []
    assert set(rs.weights) >= {"criminal", "civil"}
    assert rs.weights["civil"] == {"closure_rate": 70, "expert_score": 30}
    assert rs.weights["criminal"] == {"closure_rate": 60, "expert_score": 40}
    assert len(rs.sha256) == 64


def test_missing_file(tmp_path):
    err = load_error(tmp_path / "nope.yaml")
    assert "nope.yaml" in err.render() and "nope.yaml" in err.render("en")


# -- YAML level ---------------------------------------------------------------

def test_yaml_syntax_error(tmp_path):
    text = edited(("name: 迷你法院", "name: [迷你法院"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert p.code == "yaml.syntax"
    # pyyaml notices the problem on the next line (its ':'); the error points where the `[` was opened
    assert_where(p, path, 3, 7, None)
    assert_rendered(err, path, "YAML", "`[`", "`]`")
    assert "第 3 行第 7 列开始的 `[` 列表没有正确结束：第 4 行第 7 列遇到 `:`" in err.render()
    assert "line 3, column 7 is not closed properly: found `:` at line 4, column 7" in err.render("en")


def test_tab_indentation(tmp_path):
    text = edited(("  civil: {label: 民事审判庭}", "\tcivil: {label: 民事审判庭}"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, _ = position(text, "\tcivil")
    assert p.location.line == line and p.location.column == 1
    assert p.hint is not None
    assert_rendered(err, path, hint=True)
    assert "Tab" in err.render() and "tab" in err.render("en").lower()


def test_duplicate_key(tmp_path):
    text = edited(("  civil: {label: 民事审判庭}", "  civil: {label: 民事审判庭}\n  civil: {label: 民事}"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    first, _ = position(text, "  civil:")
    assert_where(p, path, first + 1, 3, "categories.civil")
    assert_rendered(err, path, "civil", str(first))


def test_unquoted_comparison_in_lights(tmp_path):
    text = edited(('lights: {green: ">= 75", yellow: ">= 60"}', 'lights:\n      green: >= 75\n      yellow: ">= 60"'))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, _ = position(text, "green: >= 75")
    assert p.location.line == line
    assert p.hint is not None
    assert_rendered(err, path, '">= 0.85"', hint=True)


# -- schema level -------------------------------------------------------------

def test_unsupported_format_version(tmp_path):
    text = edited(("kaohe: 1", "kaohe: 2"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert_where(p, path, 1, 8, "kaohe")
    assert p.hint is not None and "1" in p.hint.render("en")
    assert_rendered(err, path, "2", hint=True)


def test_bad_id(tmp_path):
    text = edited(("id: mini-court", "id: Mini Court!"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert_where(p, path, 2, 5, "id")
    assert_rendered(err, path, "Mini Court!")


def test_unknown_period(tmp_path):
    text = edited(("period: quarter", "period: week"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert_where(p, path, 4, 9, "period")
    assert_rendered(err, path, "week", "quarter", "month", "half", "year", hint=True)


def test_several_schema_errors_reported_together(tmp_path):
    text = edited(("kaohe: 1", "kaohe: 2"), ("id: mini-court", "id: Mini Court!"), ("period: quarter", "period: week"))
    path = write(tmp_path, text)
    err = load_error(path)
    paths = {p.location.path for p in err.problems}
    assert {"kaohe", "id", "period"} <= paths
    assert "3" in err.render() and "3" in err.render("en")


# -- weights ------------------------------------------------------------------

def test_weights_not_adding_to_100(tmp_path):
    text = edited(("closure_rate: 60, expert_score: 40", "closure_rate: 60, expert_score: 30"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "{closure_rate: 60, expert_score: 30}")
    assert_where(p, path, line, col, "weights.default")
    assert_rendered(err, path, "90", "100", "default")


def test_unknown_indicator_in_weights(tmp_path):
    text = edited(("default: {closure_rate: 60, expert_score: 40}", "default: {closure_rate: 60, expert_scor: 40}"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "expert_scor: 40")
    assert_where(p, path, line, col, "weights.default.expert_scor")
    assert p.hint is not None and p.hint.params.get("name") == "expert_score"
    assert_rendered(err, path, "expert_scor", "`expert_score`", hint=True)


def test_unknown_category_in_weights(tmp_path):
    text = edited(("civil: {closure_rate: 70, expert_score: 30}", "civi: {closure_rate: 70, expert_score: 30}"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "civi: {")
    assert_where(p, path, line, col, "weights.civi")
    assert_rendered(err, path, "civi", "`civil`", hint=True)


def test_missing_weight_table(tmp_path):
    text = edited(("  default: {closure_rate: 60, expert_score: 40}\n", ""))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert p.params.get("category") == "criminal"
    assert p.location.file and Path(p.location.file).resolve() == path.resolve()
    assert p.location.line is not None and p.location.path in ("weights", "categories.criminal")
    assert_rendered(err, path, "criminal", "default")


def test_no_weights_at_all_names_every_category(tmp_path):
    text = edited(("weights:\n  default: {closure_rate: 60, expert_score: 40}\n  civil: {closure_rate: 70, expert_score: 30}\n", ""))
    path = write(tmp_path, text)
    err = load_error(path)
    cats = {p.params.get("category") for p in err.problems}
    assert cats == {"criminal", "civil"}
    assert "2" in err.render()


def test_ahp_weights_resolve_to_100(tmp_path):
    text = edited(("  default: {closure_rate: 60, expert_score: 40}",
                   '  default:\n    ahp:\n      criteria: [closure_rate, expert_score]\n      matrix: [[1, 3], ["1/3", 1]]'))
    rs = load_ruleset(write(tmp_path, text))
    w = rs.weights["criminal"]
    assert sum(w.values()) == pytest.approx(100)
    assert w["closure_rate"] == pytest.approx(75) and w["expert_score"] == pytest.approx(25)
    assert rs.weights["civil"] == {"closure_rate": 70, "expert_score": 30}


EXTRA = """\
  a:
    label: 甲
    formula: {fa}
    score: {{linear: {{worst: 0, best: 1}}}}
  b:
    label: 乙
    formula: {fb}
    score: {{linear: {{worst: 0, best: 1}}}}
"""


def test_ahp_inconsistent_matrix(tmp_path):
    text = edited(
        ("weights:\n", EXTRA.format(fa="closed", fb="received") + "weights:\n"),
        ("  default: {closure_rate: 60, expert_score: 40}",
         '  default:\n    ahp:\n      criteria: [closure_rate, expert_score, a]\n'
         '      matrix: [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]'),
    )
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert p.location.path.startswith("weights.default.ahp.matrix")
    line, _ = position(text, "matrix: [[1, 9")
    assert p.location.line == line
    cr = float(p.params["cr"])
    assert cr >= 0.1
    zh, en = err.render(), err.render("en")
    assert "CR" in zh and "CR" in en and str(p.params["cr"]) in zh and "0.1" in en
    # the judgement that is most out of line is named
    assert "closure_rate" in en and "9" in en


@pytest.mark.parametrize("matrix", ['[[1, 3, 5], ["1/3", 1, 2]]', '[[1, 3], ["1/3"]]', '[[1]]'],
                         ids=["2x3", "ragged", "1x1"])
def test_ahp_matrix_wrong_shape(tmp_path, matrix):
    text = edited(("  default: {closure_rate: 60, expert_score: 40}",
                   f"  default:\n    ahp:\n      criteria: [closure_rate, expert_score]\n      matrix: {matrix}"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, _ = position(text, "matrix:")
    assert p.location.line == line and p.location.path.startswith("weights.default.ahp.matrix")
    assert_rendered(err, path, "2×2")


# -- formulas -----------------------------------------------------------------

def test_formula_typo_did_you_mean(tmp_path):
    text = edited(("formula: closed / received", "formula: clsoed / received"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "clsoed")
    assert_where(p, path, line, col, "indicators.closure_rate.formula")
    assert p.hint is not None and p.hint.params == {"name": "closed"}
    assert_rendered(err, path, "clsoed", "`closed`", hint=True)


def test_formula_syntax_error_column_inside_formula(tmp_path):
    text = edited(("formula: closed / received", "formula: closed / (received +"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "(received +")
    assert_where(p, path, line, col, "indicators.closure_rate.formula")
    assert p.hint is not None
    assert_rendered(err, path, hint=True)


def test_formula_syntax_error_column_points_at_bad_token(tmp_path):
    text = edited(("formula: closed / received", "formula: closed / received )"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, ")", 0)
    line2, col2 = position(text, "received )", len("received "))
    assert p.location.line == line2 and p.location.column == col2
    assert p.location.path == "indicators.closure_rate.formula"


def test_formula_referring_to_itself(tmp_path):
    text = edited(("formula: closed / received", "formula: closure_rate * 2"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "closure_rate * 2")
    assert_where(p, path, line, col, "indicators.closure_rate.formula")
    assert_rendered(err, path, "closure_rate")


def test_three_indicator_cycle(tmp_path):
    text = edited(("weights:\n", EXTRA.format(fa="b + 1", fb="closure_rate * 2") + "weights:\n"),
                  ("formula: closed / received", "formula: a / received"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert p.location.path.startswith("indicators.") and p.location.path.endswith(".formula")
    for name in ("closure_rate", "a", "b"):
        assert name in p.params["cycle"]
    assert_rendered(err, path, "closure_rate", "→")


@pytest.mark.parametrize(
    "formula, fragment",
    [
        ("__import__('os').system('touch pwned')", "__import__"),
        ("closed.real / received", "closed.real"),
        ("closed.__class__", "__class__"),
        ("sqrt(closed) / received", "sqrt"),
        ("[closed][0]", None),
        ("lambda: closed", None),
        ("closed // received", "//"),
    ],
    ids=["import", "attribute", "dunder", "unknown-function", "subscript", "lambda", "floordiv"],
)
def test_forbidden_formula(tmp_path, formula, fragment):
    text = edited(("formula: closed / received", f'formula: "{formula}"'))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, _ = position(text, formula)
    assert p.location.line == line and p.location.path == "indicators.closure_rate.formula"
    assert p.hint is not None
    if fragment:
        assert_rendered(err, path, fragment, hint=True)
    assert not (tmp_path / "pwned").exists()


def test_unknown_function_hint_lists_functions(tmp_path):
    text = edited(("formula: closed / received", "formula: sqrt(closed) / received"))
    err = load_error(write(tmp_path, text))
    hint = only(err).hint.render("en")
    for fn in ("min", "max", "abs", "round", "clip", "coalesce"):
        assert fn in hint


def test_string_fact_in_arithmetic(tmp_path):
    text = edited(
        ("  expert: {label: 专家评分, type: number, min: 0, max: 100}",
         "  expert: {label: 专家评分, type: number, min: 0, max: 100}\n"
         "  court_name: {label: 庭名, type: string, required: false}"),
        ("formula: expert\n", "formula: expert + court_name\n"),
    )
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "court_name\n")
    assert_where(p, path, line, col, "indicators.expert_score.formula")
    assert_rendered(err, path, "court_name")


def test_chinese_identifiers_in_formula(tmp_path):
    text = edited(("  closed: {label: 结案数", "  结案数: {label: 结案数"),
                  ("  received: {label: 收案数", "  收案数: {label: 收案数"),
                  ("formula: closed / received", "formula: 结案数 / 收案数"))
    rs = load_ruleset(write(tmp_path, text))
    assert "结案数" in rs.model.facts


# -- plugins ------------------------------------------------------------------

def test_unknown_plugin(tmp_path):
    text = edited(("    formula: expert\n", "    metric: dae\n"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "dae")
    assert_where(p, path, line, col, "indicators.expert_score.metric")
    assert p.hint is not None and "dea" in p.hint.render("en")
    assert_rendered(err, path, "dae", hint=True)


def test_bad_plugin_params(tmp_path):
    text = edited(("    formula: expert\n",
                   "    metric: dea\n    with: {inputs: [received], outputs: [closed], model: xyz}\n"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "xyz")
    assert_where(p, path, line, col, "indicators.expert_score.with.model")
    assert_rendered(err, path, "dea", "ccr", "bcc")


def test_plugin_param_unknown_fact(tmp_path):
    text = edited(("    formula: expert\n",
                   "    metric: dea\n    with: {inputs: [recieved], outputs: [closed]}\n"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert p.location.path.startswith("indicators.expert_score.with")
    line, _ = position(text, "recieved")
    assert p.location.line == line
    assert "recieved" in err.render()


# -- grades and rules ---------------------------------------------------------

def test_cap_grade_unknown(tmp_path):
    text = edited(("cap_grade: 不称职", "cap_grade: 不合格"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "不合格")
    assert_where(p, path, line, col, "rules[0].then.cap_grade")
    assert_rendered(err, path, "不合格", "不称职", hint=True)


def test_grades_out_of_order(tmp_path):
    text = edited(("  - {name: 称职, min: 70}\n  - {name: 基本称职, min: 60}",
                   "  - {name: 称职, min: 60}\n  - {name: 基本称职, min: 70}"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "基本称职, min: 70", len("基本称职, min: "))
    assert_where(p, path, line, col, "grades[2].min")
    assert_rendered(err, path, "基本称职", "70", "60")


def test_last_grade_with_min(tmp_path):
    text = edited(("  - {name: 不称职}", "  - {name: 不称职, min: 0}"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "不称职, min: 0", len("不称职, min: "))
    assert_where(p, path, line, col, "grades[3].min")
    assert_rendered(err, path)


def test_duplicate_rule_ids(tmp_path):
    text = edited(("  - id: red_twice", "  - id: integrity_veto"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "  - id: integrity_veto\n    when: light", len("  - id: "))
    assert_where(p, path, line, col, "rules[1].id")
    assert_rendered(err, path, "integrity_veto")


def test_rule_condition_with_arithmetic_on_the_left(tmp_path):
    text = edited(("when: integrity_violations > 0", "when: integrity_violations + innovation_awards > 0"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "integrity_violations + innovation_awards")
    assert p.location.line == line and p.location.path == "rules[0].when"
    assert p.location.column == col
    assert p.hint is not None
    assert_rendered(err, path, "integrity_violations + innovation_awards", hint=True)
    assert "指标" in err.render() and "indicator" in err.render("en")


def test_light_compared_with_misspelt_colour(tmp_path):
    text = edited(('light.closure_rate == "red" and', 'light.closure_rate == "reed" and'))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, _ = position(text, '"reed"')
    assert p.location.line == line and p.location.path == "rules[1].when"
    assert p.hint is not None and p.hint.params == {"name": "red"}
    assert_rendered(err, path, "reed", "`red`", hint=True)


def test_rule_unknown_name_did_you_mean(tmp_path):
    text = edited(("when: integrity_violations > 0", "when: integrity_violation > 0"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert p.location.path == "rules[0].when"
    assert_rendered(err, path, "integrity_violation", "`integrity_violations`", hint=True)


# -- unknown keys -------------------------------------------------------------

def test_unknown_key_is_a_warning(tmp_path):
    text = edited(("name: 迷你法院", "name: 迷你法院\nnmae: x"))
    path = write(tmp_path, text)
    rs = load_ruleset(path)
    assert len(rs.warnings) == 1
    w = rs.warnings[0]
    assert w.severity == "warning"
    assert_where(w, path, 4, 1, "nmae")
    assert w.hint is not None and w.hint.params == {"name": "name"}


def test_unknown_nested_key_is_a_warning(tmp_path):
    text = edited(("    formula: expert\n", "    formula: expert\n    betterr: higher\n"))
    path = write(tmp_path, text)
    rs = load_ruleset(path)
    (w,) = rs.warnings
    line, col = position(text, "betterr")
    assert_where(w, path, line, col, "indicators.expert_score.betterr")
    assert w.hint is not None and w.hint.params == {"name": "better"}


def test_unknown_key_is_an_error_when_strict(tmp_path):
    text = edited(("name: 迷你法院", "name: 迷你法院\nnmae: x"))
    path = write(tmp_path, text)
    err = load_error(path, strict=True)
    p = only(err)
    assert p.severity == "error"
    assert_where(p, path, 4, 1, "nmae")
    assert_rendered(err, path, "nmae", "`name`", hint=True)


# -- several errors at once ---------------------------------------------------

def test_several_errors_reported_together(tmp_path):
    text = edited(
        ("formula: closed / received", "formula: clsoed / received"),
        ("closure_rate: 60, expert_score: 40", "closure_rate: 60, expert_score: 30"),
        ("cap_grade: 不称职", "cap_grade: 不合格"),
        ("  - id: red_twice", "  - id: integrity_veto"),
        ('light.closure_rate == "red" and', 'light.closure_rate == "reed" and'),
    )
    path = write(tmp_path, text)
    err = load_error(path)
    paths = [p.location.path for p in err.problems]
    for expected in ("indicators.closure_rate.formula", "weights.default", "rules[0].then.cap_grade",
                     "rules[1].id", "rules[1].when"):
        assert expected in paths, paths
    lines = [p.location.line for p in err.problems]
    assert len(set(lines)) >= 4
    assert "共" in err.render() and str(len(err.problems)) in err.render()
    assert str(len(err.problems)) in err.render("en")


# -- extends ------------------------------------------------------------------
# (the usual layout: rulesets/<region>/… extends ../core/…, inside one rulesets folder)

CHILD = """\
kaohe: 1
id: child-court
name: 子规则集
extends: ../core/mini.yaml
period: quarter
"""


@pytest.fixture
def core(tmp_path):
    return write(tmp_path, BASE, "rulesets/core/mini.yaml")


def test_extends_adds_indicator_and_replaces_weights(tmp_path, core):
    child = CHILD + textwrap.dedent("""\
        indicators:
          reversal:
            label: 发改率
            formula: closed / received
            score: {linear: {worst: 0.5, best: 1.0}}
        weights:
          default: {closure_rate: 50, expert_score: 30, reversal: 20}
        """)
    rs = load_ruleset(write(tmp_path, child, "rulesets/region/child.yaml"))
    assert rs.model.id == "child-court"
    assert list(rs.model.indicators) == ["closure_rate", "expert_score", "reversal"]
    assert rs.weights["criminal"] == {"closure_rate": 50, "expert_score": 30, "reversal": 20}
    # civil's table was not touched by the child: inherited as is
    assert rs.weights["civil"] == {"closure_rate": 70, "expert_score": 30}
    assert len(rs.model.rules) == 3 and len(rs.model.grades) == 4


def test_extends_overrides_a_light_threshold(tmp_path, core):
    child = CHILD + textwrap.dedent("""\
        indicators:
          expert_score:
            lights: {green: ">= 80"}
        """)
    rs = load_ruleset(write(tmp_path, child, "rulesets/region/child.yaml"))
    lights = rs.model.indicators["expert_score"].lights
    dumped = rs.model.indicators["expert_score"].model_dump(by_alias=True)
    assert "80" in str(dumped["lights"]["green"]) and "60" in str(dumped["lights"]["yellow"])
    assert lights is not None
    # the formula and label are inherited
    assert rs.model.indicators["expert_score"].label == "专家评分"
    assert rs.model.indicators["expert_score"].formula == "expert"


def test_extends_remove_inherited_indicator(tmp_path, core):
    child = CHILD + textwrap.dedent("""\
        remove: [expert_score]
        weights:
          default: {closure_rate: 100}
          civil: {closure_rate: 100}
        """)
    rs = load_ruleset(write(tmp_path, child, "rulesets/region/child.yaml"))
    assert list(rs.model.indicators) == ["closure_rate"]
    assert rs.weights["criminal"] == {"closure_rate": 100}
    assert rs.weights["civil"] == {"closure_rate": 100}


def test_extends_remove_unknown_name(tmp_path, core):
    child = CHILD + "remove: [expert_scor]\n"
    path = write(tmp_path, child, "rulesets/region/child.yaml")
    err = load_error(path)
    p = only(err)
    assert Path(p.location.file).resolve() == path.resolve()
    assert p.location.line == 6
    assert "expert_scor" in err.render()


def test_extends_rules_merge_by_id(tmp_path, core):
    child = CHILD + textwrap.dedent("""\
        rules:
          - id: innovation_bonus
            when: innovation_awards >= 2
            then: {add: 1}
          - id: big_backlog
            when: received > 500
            then: {alert: 关注}
        """)
    rs = load_ruleset(write(tmp_path, child, "rulesets/region/child.yaml"))
    rules = {r.id: r for r in rs.model.rules}
    assert list(rules) == ["integrity_veto", "red_twice", "innovation_bonus", "big_backlog"]
    assert rules["innovation_bonus"].when == "innovation_awards >= 2"
    assert rules["integrity_veto"].when == "integrity_violations > 0"


def test_extends_cycle_names_both_files(tmp_path):
    a = CHILD.replace("../core/mini.yaml", "b.yaml").replace("child-court", "a")
    b = CHILD.replace("../core/mini.yaml", "a.yaml").replace("child-court", "b")
    pa = write(tmp_path, a, "x/a.yaml")
    write(tmp_path, b, "x/b.yaml")
    err = load_error(pa)
    p = only(err)
    zh, en = err.render(), err.render("en")
    assert "a.yaml" in zh and "b.yaml" in zh and "a.yaml" in en and "b.yaml" in en
    assert p.location.path == "extends" and p.location.line == 4
    assert p.location.file is not None


def test_extends_self_cycle(tmp_path):
    pa = write(tmp_path, CHILD.replace("../core/mini.yaml", "a.yaml"), "x/a.yaml")
    err = load_error(pa)
    assert only(err).location.path == "extends"


def test_extends_missing_parent(tmp_path):
    path = write(tmp_path, CHILD, "rulesets/region/child.yaml")
    err = load_error(path)
    p = only(err)
    assert_where(p, path, 4, 10, "extends")
    assert_rendered(err, path, "mini.yaml")


def test_error_in_parent_points_at_parent_file(tmp_path):
    parent_text = edited(("formula: closed / received", "formula: clsoed / received"))
    parent = write(tmp_path, parent_text, "rulesets/core/mini.yaml")
    child = write(tmp_path, CHILD, "rulesets/region/child.yaml")
    err = load_error(child)
    p = only(err)
    line, col = position(parent_text, "clsoed")
    assert_where(p, parent, line, col, "indicators.closure_rate.formula")
    assert "core" in err.render() and "mini.yaml" in err.render()


def test_error_mixing_child_and_parent_locations(tmp_path, core):
    """Weights overridden in the child that no longer add up: the child file is named."""
    child_text = CHILD + "weights:\n  default: {closure_rate: 50, expert_score: 40}\n"
    child = write(tmp_path, child_text, "rulesets/region/child.yaml")
    err = load_error(child)
    p = only(err)
    line, col = position(child_text, "{closure_rate: 50")
    assert_where(p, child, line, col, "weights.default")


def test_error_in_inherited_rule_points_at_parent(tmp_path):
    parent_text = edited(("cap_grade: 不称职", "cap_grade: 不合格"))
    parent = write(tmp_path, parent_text, "rulesets/core/mini.yaml")
    child = write(tmp_path, CHILD, "rulesets/region/child.yaml")
    err = load_error(child)
    p = only(err)
    line, col = position(parent_text, "不合格")
    assert_where(p, parent, line, col, "rules[0].then.cap_grade")


def test_locate_after_extends(tmp_path, core):
    child_text = CHILD + "indicators:\n  expert_score:\n    label: 专家打分\n"
    child = write(tmp_path, child_text, "rulesets/region/child.yaml")
    rs = load_ruleset(child)
    here = rs.locate("indicators.expert_score.label")
    assert Path(here.file).resolve() == child.resolve() and here.line == 8
    there = rs.locate("indicators.closure_rate.formula")
    assert Path(there.file).resolve() == core.resolve()
    assert there.line == position(BASE, "formula: closed")[0]


# -- JSON schema --------------------------------------------------------------

def test_json_schema_describes_the_format(tmp_path):
    import json

    import yaml

    from kaohe.engine.ruleset.schema import json_schema

    schema = json_schema()
    json.dumps(schema)  # serialisable
    props = schema["properties"]
    data = yaml.safe_load(BASE)
    for key in data:
        assert key in props, key
    for key in ("kaohe", "id", "extends", "remove", "weights", "rules", "grades", "tests"):
        assert key in props, key
    assert "kaohe" in schema.get("required", []) and "id" in schema.get("required", [])
    try:
        import jsonschema
    except ImportError:
        return
    jsonschema.validate(data, schema)


# -- declarations that can never be satisfied / are ambiguous -------------------

def test_non_numeric_weight_is_one_clear_error(tmp_path):
    """`closure_rate: sixty` is one mistake; it must not also report a missing `ahp` key."""
    text = edited(("closure_rate: 60, expert_score: 40", "closure_rate: sixty, expert_score: 40"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    line, col = position(text, "sixty")
    assert_where(p, path, line, col, "weights.default.closure_rate")
    assert "ahp" not in err.render("en")


def test_weight_sum_tolerates_decimal_fractions(tmp_path):
    """33.3 + 33.3 + 33.4 is 100 to a person even though it is not in binary floating point."""
    text = edited(("weights:\n", EXTRA.format(fa="closed", fb="received") + "weights:\n"),
                  ("default: {closure_rate: 60, expert_score: 40}",
                   "default: {closure_rate: 33.3, expert_score: 33.3, a: 33.4}"),
                  ("civil: {closure_rate: 70, expert_score: 30}",
                   "civil: {closure_rate: 0.1, expert_score: 0.2, b: 99.7}"))
    rs = load_ruleset(write(tmp_path, text))
    assert sum(rs.weights["criminal"].values()) == pytest.approx(100)


def test_fact_with_min_above_max_is_an_error(tmp_path):
    """No value can satisfy min 100, max 0: every facts file would be rejected cell by cell."""
    text = edited(("min: 0, max: 100}", "min: 100, max: 0}"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert p.location.path is not None and p.location.path.startswith("facts.expert")
    assert p.location.line == position(text, "  expert:")[0]


def test_fact_default_outside_its_range_is_an_error(tmp_path):
    """`default: -1` with `min: 0` fills missing cells with a value the facts check would reject."""
    text = edited(("required: false, default: 0}", "required: false, default: -1}"))
    path = write(tmp_path, text)
    err = load_error(path)
    p = only(err)
    assert p.location.path is not None and p.location.path.startswith("facts.integrity_violations")
    assert "-1" in err.render()


def test_fact_and_indicator_with_the_same_id_is_an_error(tmp_path):
    """A fact named like an indicator makes `closure_rate` in a rule ambiguous (today the
    indicator silently shadows the fact)."""
    text = edited(("  expert: {label", "  closure_rate: {label: 报送结案率, type: number, required: false}\n"
                   "  expert: {label"))
    path = write(tmp_path, text)
    err = load_error(path)
    assert any("closure_rate" in p.render("en") for p in err.problems)
    assert all(p.location is not None and p.location.file for p in err.problems)


def test_extends_three_levels_error_points_at_grandparent(tmp_path):
    gp_text = edited(("cap_grade: 不称职", "cap_grade: 不合格"))
    gp = write(tmp_path, gp_text, "rulesets/core/mini.yaml")
    write(tmp_path, CHILD.replace("child-court", "province"), "rulesets/region/province.yaml")
    city = CHILD.replace("child-court", "city").replace("../core/mini.yaml", "../region/province.yaml")
    err = load_error(write(tmp_path, city, "rulesets/city/city.yaml"))
    p = only(err)
    line, col = position(gp_text, "不合格")
    assert_where(p, gp, line, col, "rules[0].then.cap_grade")


def test_extends_three_file_cycle(tmp_path):
    for me, parent in (("a", "b"), ("b", "c"), ("c", "a")):
        write(tmp_path, CHILD.replace("child-court", me).replace("../core/mini.yaml", f"{parent}.yaml"), f"x/{me}.yaml")
    err = load_error(tmp_path / "x/a.yaml")
    text = err.render("en")
    assert "a.yaml" in text and "b.yaml" in text and "c.yaml" in text


def test_extends_remove_inherited_rule(tmp_path, core):
    rs = load_ruleset(write(tmp_path, CHILD + "remove: [red_twice]\n", "rulesets/region/child.yaml"))
    assert [r.id for r in rs.model.rules] == ["integrity_veto", "innovation_bonus"]


def test_extends_child_id_and_tests_not_inherited(tmp_path):
    parent_text = BASE + textwrap.dedent("""\
        tests:
          - name: 样例
            category: civil
            facts: {received: 100, closed: 98, expert: 80}
            expect: {lights: {closure_rate: yellow}}
        """)
    write(tmp_path, parent_text, "rulesets/core/mini.yaml")
    rs = load_ruleset(write(tmp_path, CHILD, "rulesets/region/child.yaml"))
    assert rs.model.id == "child-court" and rs.model.name == "子规则集"
    assert rs.model.tests == []


def test_extends_sha256_differs_from_parent(tmp_path, core):
    child = load_ruleset(write(tmp_path, CHILD, "rulesets/region/child.yaml"))
    parent = load_ruleset(core)
    assert child.sha256 != parent.sha256
    assert child.weights == parent.weights


def test_strict_reports_every_unknown_key_with_other_errors(tmp_path):
    text = edited(("name: 迷你法院", "name: 迷你法院\nnmae: x"),
                  ("    formula: expert\n", "    formula: expert\n    betterr: higher\n"),
                  ("closure_rate: 60, expert_score: 40", "closure_rate: 60, expert_score: 30"))
    path = write(tmp_path, text)
    err = load_error(path, strict=True)
    paths = {p.location.path for p in err.problems}
    assert {"nmae", "indicators.expert_score.betterr", "weights.default"} <= paths
    assert all(p.severity == "error" for p in err.problems)
    # without strict: only the weights error, unknown keys are not errors
    err2 = load_error(path)
    assert [p.location.path for p in err2.problems] == ["weights.default"]


def test_ruleset_sha256_ignores_formatting(tmp_path):
    a = load_ruleset(write(tmp_path, BASE, "a.yaml"))
    reformatted = BASE.replace("closure_rate: 60, expert_score: 40", "{closure_rate: 60,   expert_score: 40}"[1:-1]) \
        .replace("kaohe: 1", "# comment\nkaohe: 1")
    b = load_ruleset(write(tmp_path, reformatted, "b.yaml"))
    assert a.sha256 == b.sha256
    c = load_ruleset(write(tmp_path, BASE.replace("bonus_limit: 3", "bonus_limit: 4"), "c.yaml"))
    assert c.sha256 != a.sha256


@pytest.mark.parametrize(
    "condition, fragment, code",
    [
        ('light.closure_rate > 1', "1", "expr.want_string"),
        ("integrity_violations == 'yes'", "'yes'", "expr.want_number"),
        ("category > 'civil'", "category > 'civil'", "expr.string_order"),
    ],
    ids=["light-vs-number", "number-vs-text", "ordering-text"],
)
def test_rule_conditions_are_type_checked_at_load(tmp_path, condition, fragment, code):
    # durable_rules itself would compare "5" > 1 silently; kaohe refuses at load time
    text = edited(("when: innovation_awards >= 1", f'when: "{condition}"'))
    path = write(tmp_path, text)
    p = only(load_error(path), code)
    line, col = position(text, condition)
    # the column points at the offending operand (or, for ordering text, the comparison)
    assert_where(p, path, line, col + condition.index(fragment), "rules[2].when")
