"""Chinese everywhere on the command line: help, usage lines, usage errors; --lang before or after
the subcommand, and KAOHE_LANG.

The help and errors are typer's own panels; box characters are dropped and spaces collapsed before
matching, and the console is made wide so a phrase is never wrapped in the middle.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer import rich_utils

from kaohe.engine.cli.app import app
from kaohe.engine.cli.translate import (
    detect_language,
    has_translation,
    iter_help_texts,
    translate_message,
)
from tests.conftest import run_cli
from tests.samples import MINI, Q1


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rich_utils, "MAX_WIDTH", 250)
    monkeypatch.delenv("KAOHE_LANG", raising=False)


def flat(text: str) -> str:
    """The text without box drawing, whitespace collapsed."""
    return " ".join(re.sub(r"[─│╭╮╰╯]", " ", text).split())


# -- help -------------------------------------------------------------------------------------

def test_top_level_help_is_chinese_by_default(kaohe):
    r = kaohe("--help")
    text = flat(r.stdout)
    assert r.exit_code == 0
    assert "用法：kaohe [选项] 命令 [参数]..." in text
    assert "kaohe（考核）：机关绩效考核规则引擎" in text
    assert "─ 选项 ─" in r.stdout and "─ 命令 ─" in r.stdout
    assert "显示本帮助并退出。" in text
    assert "按规则集评估事实数据并保存本次运行" in text  # run's line in the command list
    assert "Usage" not in text and "Show this message" not in text


def test_command_help_is_chinese(kaohe):
    text = flat(kaohe("run", "--help").stdout)
    assert "用法：kaohe run [选项] {RULESET}" in text
    assert "事实数据文件：CSV、XLSX、JSON 或 Parquet" in text and "可重复" in text
    assert "[默认：local]" in text and "报告格式（默认：按文件扩展名，否则为 html）" in text
    assert "[必填]" in flat(kaohe("form", "--help").stdout)  # form's --out is required
    assert "界面语言：zh（默认，中文）或 en（英文）" in text and "[环境变量：KAOHE_LANG]" in text
    assert "─ 参数 ─" in kaohe("run", "--help").stdout


@pytest.mark.parametrize("where", ["after", "before", "env"])
def test_english_help_with_lang_en_before_or_after_the_subcommand_or_kaohe_lang(kaohe, monkeypatch, where):
    if where == "env":
        monkeypatch.setenv("KAOHE_LANG", "en")
        r = kaohe("run", "--help")
    else:
        r = kaohe("run", "--help", "--lang", "en") if where == "after" else kaohe("--lang", "en", "run", "--help")
    text = flat(r.stdout)
    assert r.exit_code == 0
    assert "Usage: kaohe run [OPTIONS] {RULESET}" in text and "facts file: CSV, XLSX, JSON or Parquet" in text
    assert "[required]" in text and "用法" not in text


def test_every_help_text_has_a_chinese_translation():
    """A command or option added without Chinese help fails here (register_help in its module)."""
    command = typer.main.get_command(app)
    missing = sorted({f"{where}: {text!r}" for where, text in iter_help_texts(command) if not has_translation(text)})
    assert not missing, "\n".join(missing)


# -- usage errors ---------------------------------------------------------------------------

def test_a_missing_option_is_a_chinese_usage_error(kaohe, project):
    root = project({"r.yaml": MINI})
    r = kaohe("form", root / "r.yaml")
    text = flat(r.stderr)
    assert r.exit_code == 2
    assert "缺少选项 '--out'。" in text
    assert "用法：kaohe form [选项] {RULESET}" in text
    assert "运行 'kaohe form --help' 查看帮助。" in text
    assert "─ 错误 ─" in r.stderr
    english = flat(kaohe("form", root / "r.yaml", "--lang", "en").stderr)
    assert "Missing option '--out'." in english and "Usage: kaohe form [OPTIONS] {RULESET}" in english


def test_a_run_without_facts_says_how_to_give_them(kaohe, project):
    root = project({"r.yaml": MINI})
    r = kaohe("run", root / "r.yaml")
    assert r.exit_code == 2 and "没有事实数据：用 --facts 文件（可重复），或 --facts-sql 查询 加 --facts-db 数据库地址" in flat(r.stderr)
    english = flat(kaohe("run", root / "r.yaml", "--lang", "en").stderr)
    assert "no facts: give --facts FILE (repeatable), or --facts-sql QUERY with --facts-db URL" in english


def test_explain_without_its_arguments_says_so_with_its_usage_line(kaohe):
    text = flat(kaohe("explain").stderr)
    assert "缺少参数 'RUN'。" in text and "用法：kaohe explain [选项] {RUN} {UNIT}" in text


@pytest.mark.parametrize("args", [
    ("report", "abc", "--format", "docx"),
    ("run", "r.yaml", "--facts", "q.csv", "--period", "2025Q1", "--report", "out.docx", "--format", "docx"),
], ids=["report", "run"])
def test_format_is_a_choice_checked_before_anything_runs(kaohe, project, args):
    root = project({"r.yaml": MINI, "q.csv": Q1})
    r = kaohe(*args)
    assert r.exit_code == 2
    assert "'--format' 的值无效：'docx' 不是可选值之一：'html', 'md', 'xlsx', 'pdf', 'json'" in flat(r.stderr)
    assert not (root / "kaohe.db").exists()  # nothing ran: no database, no run stored
    english = flat(kaohe(*args, "--lang", "en").stderr)
    assert "Invalid value for '--format': 'docx' is not one of 'html', 'md', 'xlsx', 'pdf', 'json'." in english
    assert "Value error" not in english


@pytest.mark.parametrize(("args", "chinese", "english"), [
    (("run", "r.yaml", "--fcts", "q.csv"), "没有选项 --fcts（可用的选项：--facts, --facts-db, --facts-sql）",
     "No such option: --fcts (Possible options: --facts, --facts-db, --facts-sql)"),
    (("rnu",), "没有命令 'rnu'。您是否想写 'run'？", "No such command 'rnu'. Did you mean 'run'?"),
    (("runs", "--limit", "abc"), "'--limit' 的值无效：应为整数",
     "Invalid value for '--limit': Input should be a valid integer"),
    (("validate", "r.yaml", "--lang", "fr"),
     "'--lang'（环境变量 'KAOHE_LANG'） 的值无效：'fr' 不是可选值之一：'zh', 'en'", None),
    (("validate",), "缺少参数 'RULESET'。", "Missing argument 'RULESET'."),
    (("runs", "extra"), "多余的参数：extra", "Got unexpected extra argument(s) (extra)"),
    (("run", "r.yaml", "--facts"), "选项 '--facts' 需要一个值。", "Option '--facts' requires an argument."),
], ids=["no-such-option", "no-such-command", "not-an-integer", "bad-lang", "missing-argument", "extra-argument",
        "option-without-value"])
def test_usage_errors_in_both_languages(kaohe, project, args, chinese, english):
    project({"r.yaml": MINI})
    r = kaohe(*args)
    assert r.exit_code == 2
    assert chinese in flat(r.stderr)
    if english is not None:
        assert english in flat(kaohe("--lang", "en", *args).stderr)


def test_lang_before_the_subcommand_reaches_the_command(kaohe, project):
    root = project({"r.yaml": MINI})
    assert "is valid" in kaohe("--lang", "en", "validate", root / "r.yaml").stdout
    assert "有效" in kaohe("validate", root / "r.yaml").stdout


def test_the_installed_console_script_speaks_chinese(tmp_path):
    r = run_cli("form", "nowhere.yaml", cwd=tmp_path, env={"KAOHE_LANG": "", "COLUMNS": "200"})
    assert r.exit_code == 2 and "缺少选项 '--out'" in flat(r.stderr)


# -- the language decision and the message catalogue ------------------------------------------

@pytest.mark.parametrize(("args", "env", "lang"), [
    ([], {}, "zh"),
    (["run", "--lang", "en"], {}, "en"),
    (["--lang=en", "run"], {}, "en"),
    (["run"], {"KAOHE_LANG": "en"}, "en"),
    (["run", "--lang", "zh"], {"KAOHE_LANG": "en"}, "zh"),
    (["run", "--lang", "fr"], {}, "zh"),
    (["run", "--", "--lang", "en"], {}, "zh"),
])
def test_detect_language(args, env, lang):
    assert detect_language(args, env) == lang


def test_pydantic_prefixes_never_reach_the_user():
    message = "Invalid value for '--format': Value error, 'x' is not one of 'a'."
    assert translate_message(message, "en") == "Invalid value for '--format': 'x' is not one of 'a'."
    assert translate_message(message, "zh") == "'--format' 的值无效：'x' 不是可选值之一：'a'"


def test_path_errors_are_translated():
    assert translate_message("Invalid value for 'RULESET': Path 'x.yaml' does not exist.", "zh") == \
        "'RULESET' 的值无效：路径 'x.yaml' 不存在"


def test_docs_mention_the_language_options():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "--lang en" in readme and "KAOHE_LANG" in readme


CASE_FAILS = """
kaohe: 1
id: t
name: t
period: year
categories: {a: {label: A}}
facts:
  x: {label: X, type: number, min: 0}
indicators:
  i: {label: I, formula: x, score: {linear: {worst: 0, best: 10}}}
weights: {default: {i: 100}}
grades:
  - {name: 好}
tests:
  - name: 缺值
    category: a
    facts: {}
    expect: {grade: 好}
"""


def test_a_test_case_that_cannot_be_evaluated_says_why_in_the_users_language(kaohe, project):
    root = project({"t.yaml": CASE_FAILS})
    zh = kaohe("test", root / "t.yaml")
    assert zh.exit_code == 1 and "缺少必填事实 `x`（X）的列" in zh.stderr
    en = kaohe("test", root / "t.yaml", "--lang", "en")
    assert "no column for the required fact `x` (X)" in en.stderr
    doc = kaohe("test", root / "t.yaml", "--json").json()
    assert "缺少必填事实" in doc["cases"][0]["error"]
