"""YAML as policy staff type it: Chinese parser messages that name where a construct began,
full-width punctuation (`：` `，` `“”` `【】`) named with its line and half-width fix, and
thresholds written `≥ 0.9` / `>= 90%`."""

from __future__ import annotations

import re
import textwrap

import pytest

from kaohe.engine.errors import RulesetError
from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.ruleset.yamlload import parse_yaml

HAN = re.compile(r"[\u4e00-\u9fff]")

RULESET = textwrap.dedent("""\
    kaohe: 1
    id: letters
    name: 信访考核
    period: quarter
    categories:
      town: {label: 乡镇}
    facts:
      received: {label: 受理件数, type: integer, min: 0}
      solved: {label: 化解件数, type: integer, min: 0}
      rate_fact: {label: 满意率, type: number, min: 0, max: 1}
    indicators:
      solve_rate:
        label: 化解率
        unit: "%"
        formula: solved / received
        score: {linear: {worst: 0.5, best: 1.0}}
        lights: {green: ">= 0.9", yellow: ">= 0.8"}
      satisfaction:
        label: 满意度
        formula: rate_fact
        score: {linear: {worst: 0.5, best: 1.0}}
    weights:
      default: {solve_rate: 60, satisfaction: 40}
    grades:
      - {name: 好, min: 80}
      - {name: 差}
    """)


def errors_of(text: str) -> RulesetError:
    with pytest.raises(RulesetError) as info:
        parse_yaml(text, "r.yaml")
    return info.value


def write(tmp_path, text):
    p = tmp_path / "r.yaml"
    p.write_text(text, encoding="utf-8")
    return p


# -- parser messages: Chinese, at the line where the construct began ----------

def test_unclosed_bracket_is_reported_where_it_began():
    lines = [f"k{i}: {i}" for i in range(1, 13)] + ["tie_break: [solve_rate, satisfaction", "k14: 1", "k15: 2"]
    err = errors_of("\n".join(lines) + "\n")
    (p,) = err.problems
    assert (p.location.line, p.location.column) == (13, 12)
    zh, en = err.render(), err.render("en")
    assert "YAML 语法错误：第 13 行第 12 列开始的 `[` 列表没有正确结束：第 14 行第 4 列遇到 `:`，这里应为 `,` 或 `]`" in zh
    assert "检查 `[` 是否少了 `]`" in zh
    assert "the `[` list that begins at line 13, column 12 is not closed properly" in en


@pytest.mark.parametrize(("text", "where", "zh"), [
    ("a: {b: 1\nc: 2\n", (1, 4), "第 1 行第 4 列开始的 `{` 映射没有正确结束"),
    ('a: "abc\nb: 1\n', (1, 4), "第 1 行第 4 列开始的引号字符串直到文件结尾（第 3 行）都没有结束"),
    ("a:\n  b: 1\n c: 2\n", (3, 2), "第 1 行开始的键值块中，第 3 行第 2 列的缩进与上文不一致"),
    ("a: 1\n- b\n", (2, 1), "第 1 行开始的键值块中，第 2 行第 1 列的缩进与上文不一致（遇到 `-`）"),
    ("a: b: c\n", (1, 5), "第 1 行第 5 列的冒号 `:` 不能出现在这里"),
    ("a: *x\n", (1, 4), "第 1 行的别名 `*x` 没有定义"),
    ("a: {green: >= 0.85}\n", (1, 12), "第 1 行第 12 列的字符 `>` 不能出现在这里"),
    ("a:\n\tb: 1\n", (2, 1), "第 2 行第 1 列的字符 `\\t` 不能出现在这里"),
    ('a: "\\q"\n', (1, 4), "转义 `\\q` 无效"),
    ("a: 1\n---\nb: 2\n", (2, 1), "一个规则集文件只能有一个 YAML 文档"),
    ("a: b\x01\n", (1, None), "不可见的控制字符"),
    ("effective: {from: 2025-13-01}\n", (1, 19), "第 1 行第 19 列的值无法读取"),
], ids=["brace", "quote", "indent", "dash", "colon", "alias", "operator", "tab", "escape", "documents",
        "control", "bad-date"])
def test_parser_messages_are_chinese_and_located(text, where, zh):
    err = errors_of(text)
    p = err.problems[0]
    assert (p.location.line, p.location.column) == where, p.location
    rendered = err.render()
    assert zh in rendered, rendered
    assert "while" not in rendered and "expected" not in rendered, rendered
    english = err.render("en")
    assert not HAN.search(english.replace("r.yaml", "")), english


# -- full-width punctuation ----------------------------------------------------

@pytest.mark.parametrize(("edit", "char", "line", "column", "fix"), [
    (("solved: {label: 化解件数,", "solved: {label：化解件数,"), "：", 9, 17, "`: `（半角冒号后加一个空格）"),
    (("solved: {label: 化解件数, type: integer", "solved: {label: 化解件数，type: integer"), "，", 9, 23,
     "`, `（半角逗号）"),
    (('lights: {green: ">= 0.9", yellow: ">= 0.8"}', 'lights: {green: “>= 0.9”, yellow: ">= 0.8"}'), "“", 17, 21,
     '`"`'),
    (("    label: 化解率\n", "    label：化解率\n"), "：", 13, 10, "`: `（半角冒号后加一个空格）"),
    (("grades:\n", "tie_break: 【solve_rate】\ngrades:\n"), "【", 24, 12, "`[`"),
    (("kaohe: 1", "kaohe：1"), "：", 1, 6, "`: `（半角冒号后加一个空格）"),
], ids=["flow-colon", "flow-comma", "quotes", "block-colon", "brackets", "top-colon"])
def test_full_width_structure_is_named_with_its_fix(tmp_path, edit, char, line, column, fix):
    old, new = edit
    assert old in RULESET
    err = _load_error(write(tmp_path, RULESET.replace(old, new, 1)))
    p = err.problems[0]
    assert p.code == "yaml.fullwidth"
    assert (p.location.line, p.location.column) == (line, column)
    zh = err.render()
    assert f"第 {line} 行第 {column} 列的 `{char}` 是全角" in zh and f"改成 {fix}" in zh
    assert "缺少必填键" not in zh  # the misleading message of the schema stage never shows
    assert f"`{char}` at line {line}, column {column} is a full-width" in err.render("en")


def test_full_width_punctuation_in_prose_is_left_alone(tmp_path):
    text = RULESET.replace("name: 信访考核", "name: 信访考核：“一件事”，【试行】").replace(
        "label: 化解率", 'label: "化解率（%）"')
    rs = load_ruleset(write(tmp_path, text))
    assert rs.model.name == "信访考核：“一件事”，【试行】"


def test_full_width_colon_through_the_cli(project, kaohe):
    root = project({"r.yaml": RULESET.replace("solved: {label: 化解件数,", "solved: {label：化解件数,")})
    r = kaohe("validate", root / "r.yaml")
    assert r.exit_code == 1
    out = r.stdout + r.stderr
    assert "r.yaml:9:17" in out and "全角冒号" in out and "缺少必填键" not in out
    r = kaohe("validate", root / "r.yaml", "--lang", "en")
    assert "full-width colon" in r.stdout + r.stderr


# -- thresholds typed with a Chinese input method -------------------------------

def _load_error(path) -> RulesetError:
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    return info.value


@pytest.mark.parametrize("green", ["≥ 0.9", "＞＝0.9", ">= 90%", "≥ 90%", ">= 90 %"])
def test_threshold_spellings_mean_the_same(tmp_path, green):
    rs = load_ruleset(write(tmp_path, RULESET.replace('green: ">= 0.9"', f'green: "{green}"')))
    plain = load_ruleset(write(tmp_path, RULESET))
    assert rs.lights["solve_rate"][0].render() == plain.lights["solve_rate"][0].render() == "value >= 0.9"


def test_two_sided_percent_threshold(tmp_path):
    rs = load_ruleset(write(tmp_path, RULESET.replace('green: ">= 0.9"', 'green: "85.5% <= value ≤ 98%"')))
    expected = load_ruleset(write(tmp_path, RULESET.replace('green: ">= 0.9"', 'green: "0.855 <= value <= 0.98"')))
    assert rs.lights["solve_rate"][0].render() == expected.lights["solve_rate"][0].render()


def test_percent_threshold_needs_a_percent_indicator(tmp_path):
    text = RULESET.replace("    formula: rate_fact\n", '    formula: rate_fact\n    lights: {green: ">= 90%"}\n')
    err = _load_error(write(tmp_path, text))
    (p,) = err.problems
    assert p.code == "check.percent_threshold" and p.location.path == "indicators.satisfaction.lights.green"
    assert 'unit: "%"' in err.render() and "0.9" in err.render()


def test_formula_with_math_symbols_gets_the_exact_fix(tmp_path):
    text = RULESET.replace("formula: solved / received", "formula: solved ÷ received")
    err = _load_error(write(tmp_path, text))
    assert "÷ → /" in err.render()


def test_expectations_accept_the_same_spellings(tmp_path):
    text = RULESET + textwrap.dedent("""\
        tests:
          - name: 全部化解
            category: town
            facts: {received: 10, solved: 10, rate_fact: 1}
            expect: {score: "≥ 99", grade: 好}
        """)
    from kaohe.engine.testing import run_tests

    (outcome,) = run_tests(load_ruleset(write(tmp_path, text)))
    assert outcome.passed, outcome.mismatches
