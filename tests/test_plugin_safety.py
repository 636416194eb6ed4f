"""Plugins cannot corrupt a run: every promise of the plugin boundary, with real third-party packages.

Each test installs a throw-away plugin package (a module and its dist-info with
entry points, see the ``third_party`` fixture) and goes through kaohe the way a
user would: entry point discovery, ``load_ruleset``/``run``, and the CLI.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from kaohe.engine.errors import RulesetError, RunError
from kaohe.engine.plugins import Metric, registry
from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.run import run
from kaohe.engine.store import Store
from tests.samples import MINI, Q1

# A small TOPSIS-like plugin; RESULT, BODY, NAME, INPUTS and EXTRA are filled in per test.
PLUGIN = """
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator
from kaohe import FloatArray, Metric, MetricContext

class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    of: str = Field(description="the fact to read")
    weight: float = Field(default=1.0, gt=0, description="a multiplier")
    EXTRA

def compute(ctx: MetricContext, p: Params) -> FloatArray:
    n = len(ctx.units)
    BODY
    return RESULT

METRIC = Metric(name="NAME", params=Params, compute=compute, inputs=lambda p: INPUTS,
                description="closeness to the ideal unit", description_zh="与理想单位的接近度")
"""


def plugin(result: str = "np.array(ctx.column(p.of)) * p.weight", name: str = "topsis",
           inputs: str = "[p.of]", extra: str = "", body: str = "pass") -> str:
    return (PLUGIN.replace("RESULT", result).replace("BODY", body).replace("NAME", name)
            .replace("INPUTS", inputs).replace("EXTRA", extra))


def ruleset(metric: str = "topsis", with_: str = "{of: closed}", after: str = "") -> str:
    block = f"  x:\n    label: X\n    metric: {metric}\n    with: {with_}\n{after}"
    return MINI.replace("weights:", block + "weights:")


@pytest.fixture
def topsis(third_party):
    """Install ``kaohe-topsis`` providing ``topsis`` with the given compute result."""

    def install(**kw: str) -> None:
        third_party("kaohe-topsis", "kaohe_topsis", plugin(**kw), {"topsis": "kaohe_topsis:METRIC"})

    return install


def run_failure(project, tmp_path, text: str) -> RunError:
    root = project({"r.yaml": text, "q.csv": Q1})
    db = f"sqlite:///{tmp_path / 'k.db'}"
    with pytest.raises(RunError) as e:
        run(root / "r.yaml", root / "q.csv", period="2025Q1", db=db)
    assert Store(db).list_runs() == []  # nothing stored
    return e.value


def load_failure(project, text: str) -> RulesetError:
    root = project({"r.yaml": text})
    with pytest.raises(RulesetError) as e:
        load_ruleset(root / "r.yaml")
    return e.value


# -- the sane plugin works ----------------------------------------------------------------

def test_a_third_party_plugin_is_found_and_evaluated(topsis, project, tmp_path):
    topsis()
    assert registry.provider("topsis").package == "kaohe-topsis"
    root = project({"r.yaml": ruleset(with_="{of: closed, weight: 2}"), "q.csv": Q1})
    outcome = run(root / "r.yaml", root / "q.csv", period="2025Q1", db=f"sqlite:///{tmp_path / 'k.db'}")
    assert {u.unit: u.indicators["x"].value for u in outcome.units}["c01"] == 190  # 95 closed × 2


@pytest.mark.parametrize("result", ["np.full(n, np.nan)", "[None] + [1.0] * (n - 1)"], ids=["nan", "none"])
def test_nan_and_none_mean_missing(topsis, project, tmp_path, result):
    topsis(result=result)
    root = project({"r.yaml": ruleset(), "q.csv": Q1})
    outcome = run(root / "r.yaml", root / "q.csv", period="2025Q1", db=f"sqlite:///{tmp_path / 'k.db'}")
    assert {u.unit: u.indicators["x"].value for u in outcome.units}["c01"] is None


# -- duplicate entry point names and name mismatches are load errors ---------------------

def test_a_third_party_dea_does_not_replace_the_builtin(third_party, project, kaohe):
    third_party("evil-dea", "evil_dea", plugin(name="dea"), {"dea": "evil_dea:METRIC"})
    assert registry.get("dea") is None and registry.get("rank") is not None
    problem = registry.load_error("dea")
    assert problem is not None
    message = problem.message("en")
    assert "kaohe 0.1.0 (dea = kaohe.plugins.dea:METRIC)" in message
    assert "evil-dea 1.0 (dea = evil_dea:METRIC)" in message
    assert "被多个软件包注册" in problem.message("zh")
    # a ruleset using dea gets the reason, naming both packages
    root = project({"r.yaml": ruleset("dea", "{inputs: [received], outputs: [closed]}"), "ok.yaml": MINI})
    r = kaohe("validate", root / "r.yaml", "--lang", "en")
    assert r.exit_code == 1
    assert "plugin metric `dea` cannot be used: the plugin metric name `dea` is registered by several" in r.stderr
    assert "evil-dea 1.0" in r.stderr and "unknown plugin" not in r.stderr
    # a ruleset not using it is valid, and still hears about the broken installation
    r = kaohe("validate", root / "ok.yaml")
    assert r.exit_code == 0 and "警告" in r.stderr and "evil-dea" in r.stderr
    listed = kaohe("plugins", "--json")
    assert listed.exit_code == 1
    doc = listed.json()
    assert [e["name"] for e in doc["load_errors"]] == ["dea"] and "evil-dea" in doc["load_errors"][0]["message"]
    assert "rank" in [m["name"] for m in doc["metrics"]]


def test_an_entry_point_named_differently_from_its_metric_is_a_load_error(third_party, project, kaohe):
    third_party("kaohe-topsis", "kaohe_topsis", plugin(name="entropy_topsis"), {"topsis": "kaohe_topsis:METRIC"})
    assert registry.get("topsis") is None and registry.get("entropy_topsis") is None
    err = load_failure(project, ruleset())
    message = err.problems[0].message("en")
    assert "entry point `topsis` (package kaohe-topsis" in message
    assert "names a metric called `entropy_topsis`; the entry point name must equal Metric.name" in message
    r = kaohe("plugins")
    assert r.exit_code == 1 and "Metric.name" in r.stderr and "kaohe-topsis" in r.stderr


def test_registering_a_taken_name_directly_is_refused():
    dea = registry.get("dea")
    with pytest.raises(ValueError, match="already installed"):
        registry.register(Metric("dea", dea.params, dea.compute, dea.inputs))


# -- results are checked: one clear error, once, nothing stored --------------------------

BAD_RESULTS = [
    ("np.where(np.arange(n) == 1, np.inf, 1.0)", "the non-finite value inf (units c02)", "非有限值 inf（单位 c02）"),
    ("np.full(n, -np.inf)", "the non-finite value -inf (units c01, c02, c03, c04, c05 …)", "非有限值 -inf"),
    ("['high'] * n", "the text 'high' (unit c01)", "文本 'high'（单位 c01）"),
    ("[str(v) for v in ctx.column(p.of)]", "the text '95.0' (unit c01)", "文本 '95.0'"),
    ("[1.0] * (n - 1) + ['7']", "the text '7' (unit d01)", "文本 '7'（单位 d01）"),
    ("np.ones(n + 1)", "a result of shape (7,)", "形状为 (7,) 的结果"),
    ("np.ones((n, 2))", "a result of shape (6, 2)", "形状为 (6, 2) 的结果"),
    ("1.0", "a result of shape ()", "形状为 () 的结果"),
    ("None", "a value of type NoneType: None", "NoneType 类型的值 None"),
    ("'0.5'", "a value of type str: '0.5'", "str 类型的值 '0.5'"),
    ("{u: 1.0 for u in ctx.units}", "a value of type dict", "dict 类型的值"),
    ("np.ones(n, dtype=bool)", "a value of type bool: True (unit c01)", "bool 类型的值 True"),
    ("[[1.0], [1.0, 2.0]] + [1.0] * (n - 2)", "a ragged nested sequence", "长短不一的嵌套序列"),
    ("np.ones(n) * 1j", "a value of type complex: 1j (unit c01)", "complex 类型的值 1j"),
]


@pytest.mark.parametrize(("result", "english", "chinese"), BAD_RESULTS,
                         ids=["inf", "-inf", "text", "numeric-text", "mixed", "long", "2d", "scalar", "none",
                              "string", "dict", "bool", "ragged", "complex"])
def test_a_bad_result_is_one_run_error_naming_plugin_indicator_and_value(topsis, project, tmp_path, result,
                                                                         english, chinese):
    topsis(result=result)
    err = run_failure(project, tmp_path, ruleset())
    assert len(err.problems) == 1
    en, zh = err.problems[0].message("en"), err.problems[0].message("zh")
    assert en.startswith("plugin `topsis` returned ") and " for indicator `x`; expected one finite number" in en
    assert english in en
    assert "failed" not in en  # said once, not wrapped in "plugin failed: plugin returned …"
    assert zh.startswith("指标 `x` 的插件 `topsis` 返回了") and chinese in zh
    assert err.problems[0].location.line is not None  # the indicator's `metric:` line


def test_a_bad_result_through_the_cli_is_json_with_exit_code_3(topsis, project, kaohe):
    topsis(result="np.full(n, np.inf)")
    root = project({"r.yaml": ruleset(), "q.csv": Q1})
    r = kaohe("run", root / "r.yaml", "--facts", root / "q.csv", "--period", "2025Q1", "--json", "--lang", "en")
    assert r.exit_code == 3
    problems = r.json()["error"]["problems"]
    assert len(problems) == 1 and "plugin `topsis` returned the non-finite value inf" in problems[0]["message"]
    assert kaohe("runs", "--json").json()["runs"] == []


# -- plugins get read-only data ------------------------------------------------------------

@pytest.mark.parametrize("write", [
    "ctx.column(p.of)[:] = 0",
    "np.asarray(ctx.column(p.of))[0] = 0",
    "ctx.categories[0] = 'civil'",
], ids=["column", "asarray", "categories"])
def test_writing_into_the_facts_fails_the_run_naming_the_plugin(topsis, project, tmp_path, write):
    topsis(body=write, result="np.ones(n)")
    err = run_failure(project, tmp_path, ruleset())
    problem = err.problems[0]
    assert "plugin `topsis` failed for indicator `x`: ValueError: assignment destination is read-only" \
        in problem.message("en")
    assert problem.hint is not None and "np.array(ctx.column(name))" in problem.hint.render("en")
    assert "只读" in problem.hint.render("zh")


def test_adding_a_column_fails_the_run(topsis, project, tmp_path):
    topsis(body="ctx.columns['closed2'] = np.zeros(n)", result="np.ones(n)")
    err = run_failure(project, tmp_path, ruleset())
    assert "TypeError" in err.problems[0].message("en")


def test_a_plugin_that_swallows_the_write_error_leaves_facts_and_later_formulas_unchanged(topsis, project, tmp_path):
    body = "try:\n        ctx.column('closed')[:] = -1\n    except ValueError:\n        pass"
    topsis(body=body, result="np.ones(n)")
    text = ruleset(after="  later:\n    label: 后算\n    formula: closed / received\n")
    root = project({"r.yaml": text, "q.csv": Q1})
    db = f"sqlite:///{tmp_path / 'k.db'}"
    outcome = run(root / "r.yaml", root / "q.csv", period="2025Q1", db=db)
    assert {u.unit: u.indicators["later"].value for u in outcome.units}["c01"] == 0.95
    assert Store(db).load_facts(outcome.info.id, "c01")["closed"] == 95


# -- failures before the run: import errors, inputs(), parameters -------------------------

def test_a_plugin_that_fails_to_import_says_why_in_validate(third_party, project, kaohe):
    source = "import sklearn_is_not_installed_here\n" + plugin()
    third_party("kaohe-topsis", "kaohe_topsis", source, {"topsis": "kaohe_topsis:METRIC"})
    root = project({"r.yaml": ruleset()})
    r = kaohe("validate", root / "r.yaml", "--lang", "en")
    assert r.exit_code == 1
    assert ("plugin metric `topsis` cannot be used: plugin metric `topsis` (package kaohe-topsis, entry point "
            "kaohe_topsis:METRIC) failed to import: ModuleNotFoundError: No module named "
            "'sklearn_is_not_installed_here'") in r.stderr
    assert "unknown plugin" not in r.stderr
    r = kaohe("validate", root / "r.yaml")
    assert "导入失败：ModuleNotFoundError" in r.stderr


def test_an_exception_in_inputs_is_reported_like_one_in_compute(topsis, project):
    topsis(inputs="[p.of, 1 / 0]")
    err = load_failure(project, ruleset())
    assert err.problems[0].message("en") == (
        "plugin `topsis` failed in inputs() for indicator `x`: ZeroDivisionError: division by zero")
    assert err.problems[0].location.line is not None


def test_inputs_must_be_a_list_of_names(topsis, project):
    topsis(inputs="p.of")
    err = load_failure(project, ruleset())
    assert err.problems[0].message("en") == "inputs() of plugin `topsis` must return a list of names, not 'closed'"


def test_kaohe_debug_shows_the_plugin_traceback(topsis, project, kaohe, monkeypatch):
    topsis(result="np.ones(n) / 0 if ctx.column('nope') is None else None")
    root = project({"r.yaml": ruleset(), "q.csv": Q1})
    args = ("run", root / "r.yaml", "--facts", root / "q.csv", "--period", "2025Q1")
    plain = kaohe(*args)
    assert plain.exit_code == 3 and "KeyError" in plain.stderr and "Traceback" not in plain.stderr
    monkeypatch.setenv("KAOHE_DEBUG", "1")
    debug = kaohe(*args)
    assert debug.exit_code == 3 and "Traceback (most recent call last)" in debug.stderr
    assert "kaohe_topsis.py" in debug.stderr and "ctx.column('nope')" in debug.stderr


# -- parameters: did-you-mean, the user's language, no pydantic prefixes ----------------------

@pytest.mark.parametrize("forbid", [True, False], ids=["extra-forbid", "plugin-forgot-forbid"])
def test_a_misspelt_parameter_gets_a_did_you_mean(third_party, project, forbid):
    source = plugin() if forbid else plugin().replace('model_config = ConfigDict(extra="forbid")', "pass")
    third_party("kaohe-topsis", "kaohe_topsis", source, {"topsis": "kaohe_topsis:METRIC"})
    err = load_failure(project, ruleset(with_="{of: closed, wieght: 2}"))
    assert len(err.problems) == 1
    problem = err.problems[0]
    assert problem.message("en") == "plugin `topsis` has no parameter `wieght`"
    assert problem.message("zh") == "插件 `topsis` 没有参数 `wieght`"
    assert problem.hint.render("en") == "did you mean `weight`?"
    assert problem.location.path == "indicators.x.with.wieght"


def test_parameter_errors_are_in_the_users_language(topsis, project):
    topsis()
    err = load_failure(project, ruleset(with_="{of: closed, weight: -1}"))
    problem = err.problems[0]
    assert problem.message("zh") == "插件 `topsis` 的参数 `weight` 有误：`-1` 超出范围：> 0"
    assert problem.message("en") == "bad parameter `weight` for plugin `topsis`: `-1` is out of range: > 0"
    missing = load_failure(project, ruleset(with_="{weight: 2}")).problems[0]
    assert missing.message("zh") == "插件 `topsis` 的参数有误：缺少必填键 `of`"


def test_a_validators_value_error_reaches_the_user_without_pydantics_prefix(topsis, project):
    validator = ('@field_validator("weight")\n    @classmethod\n    def _round(cls, v):\n'
                 '        if v != int(v):\n            raise ValueError("weight must be a whole number")\n'
                 '        return v')
    topsis(extra=validator)
    problem = load_failure(project, ruleset(with_="{of: closed, weight: 1.5}")).problems[0]
    for lang in ("zh", "en"):
        assert "Value error" not in problem.render(lang)
    assert problem.message("en") == "bad parameter `weight` for plugin `topsis`: weight must be a whole number"


# -- kaohe plugins and kaohe schema describe the parameters ------------------------------

def test_kaohe_plugins_lists_package_parameters_defaults_and_required(topsis, kaohe):
    topsis()
    doc = kaohe("plugins", "--json").json()
    (entry,) = [m for m in doc["metrics"] if m["name"] == "topsis"]
    assert entry["package"] == "kaohe-topsis" and entry["version"] == "1.0"
    assert entry["description"] == "与理想单位的接近度"
    assert entry["parameters"] == [
        {"name": "of", "type": "string", "required": True, "default": None, "description": "the fact to read"},
        {"name": "weight", "type": "number", "required": False, "default": 1.0, "description": "a multiplier"},
    ]
    text = kaohe("plugins").stdout
    assert "topsis：与理想单位的接近度（软件包 kaohe-topsis 1.0）" in text
    assert "the fact to read" in text and "a multiplier" in text
    english = kaohe("plugins", "--lang", "en").stdout
    assert "topsis: closeness to the ideal unit (package kaohe-topsis 1.0)" in english
    assert "required" in english and "default" in english


def test_kaohe_schema_has_each_metrics_with_schema(topsis, kaohe):
    topsis()
    schema = json.loads(kaohe("schema").stdout)
    assert schema["$defs"]["metric.topsis"]["properties"]["weight"]["description"] == "a multiplier"
    good = yaml.safe_load(ruleset(with_="{of: closed, weight: 2}"))
    jsonschema.validate(good, schema)
    for bad in ("{of: closed, wieght: 2}", "{weight: 2}"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(yaml.safe_load(ruleset(with_=bad)), schema)
    dea = yaml.safe_load(ruleset("dea", "{inputs: [received], outputs: [closed], model: xyz}"))
    with pytest.raises(jsonschema.ValidationError, match="xyz"):
        jsonschema.validate(dea, schema)
