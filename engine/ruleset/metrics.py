"""Stage 3a, plugin metrics: the metric is installed, its ``with:`` parameters are valid.

The parameters are validated with the plugin's own pydantic model; each error
is located at ``indicators.<id>.with.<key>``, names the plugin and is said in
the user's language (pydantic's English only where we have no words of our
own).  A key the model does not know is an error with a did-you-mean, even
when the plugin forgot ``extra="forbid"``.  A metric whose entry point could
not be loaded is reported with the reason (the ``ImportError``, the packages
that both claim the name), not as "unknown".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from kaohe.engine.errors import Problem, did_you_mean
from kaohe.engine.i18n import Message, register
from kaohe.engine.plugins import Metric, describe_exception, registry
from kaohe.engine.ruleset.extends import SourceMap
from kaohe.engine.ruleset.validation import data_path, describe_error

register(
    {
        "check.unknown_plugin": ("未知的插件指标 `{metric}`", "unknown plugin metric `{metric}`"),
        "check.plugin_not_loaded": ("插件指标 `{metric}` 无法使用：{reason}",
                                    "plugin metric `{metric}` cannot be used: {reason}"),
        "check.plugin_params": ("插件 `{metric}` 的参数有误：{detail}", "bad parameters for plugin `{metric}`: {detail}"),
        "check.plugin_param": ("插件 `{metric}` 的参数 `{key}` 有误：{detail}",
                               "bad parameter `{key}` for plugin `{metric}`: {detail}"),
        "check.plugin_unknown_param": ("插件 `{metric}` 没有参数 `{key}`", "plugin `{metric}` has no parameter `{key}`"),
        "check.plugin_input": ("插件 `{metric}` 读取的 `{name}` 不是事实或指标",
                               "`{name}` read by plugin `{metric}` is not a fact or indicator"),
        "check.plugin_failed": ("指标 `{indicator}` 的插件 `{metric}` 在 {step} 中出错：{error}",
                                "plugin `{metric}` failed in {step} for indicator `{indicator}`: {error}"),
        "check.plugin_inputs_type": ("插件 `{metric}` 的 inputs() 应返回名称列表，实际返回 {value}",
                                     "inputs() of plugin `{metric}` must return a list of names, not {value}"),
    }
)

_YamlPath = tuple[str | int, ...]


def check_metric(name: str, indicator: str, raw: Any, known: Iterable[str], smap: SourceMap,
                 problems: list[Problem], warnings: list[Problem] | None = None
                 ) -> tuple[BaseModel, set[str]] | None:
    """The validated parameters of ``metric: name`` and the names it reads, or ``None`` (problems appended).

    The metric's own advice about its parameters (its ``warnings`` hook) is appended to ``warnings``.
    """
    path: _YamlPath = ("indicators", indicator)
    metric = registry.get(name)
    if metric is None:
        loaded = registry.load_error(name)
        if loaded is not None:
            reason = Message(loaded.code, loaded.params)
            problems.append(Problem("check.plugin_not_loaded", {"metric": name, "reason": reason},
                                    smap.locate((*path, "metric"))))
        else:
            problems.append(Problem("check.unknown_plugin", {"metric": name}, smap.locate((*path, "metric")),
                                    did_you_mean(name, registry.names())))
        return None
    params = _params(metric, raw if isinstance(raw, dict) else {}, path, smap, problems)
    if params is None:
        return None
    if metric.warnings is not None and warnings is not None:
        try:
            warnings += [Problem(w.code, dict(w.params), smap.locate((*path, "with", w.key)), severity="warning")
                         for w in metric.warnings(params)]
        except Exception as e:  # plugin code: reported like a failure of compute(), naming it
            problems.append(Problem("check.plugin_failed", {"metric": name, "indicator": indicator,
                                                            "step": "warnings()", "error": describe_exception(e)},
                                    smap.locate((*path, "metric"))))
    inputs = _inputs(metric, params, indicator, path, smap, problems)
    if inputs is None:
        return None
    known = set(known)
    for missing in sorted(inputs - known):
        problems.append(Problem("check.plugin_input", {"metric": name, "name": missing},
                                smap.locate((*path, "with")), did_you_mean(missing, known)))
    return params, inputs


def parameter_names(model: type[BaseModel]) -> list[str]:
    """The keys ``with:`` accepts: each field's alias, or its name."""
    return [f.alias or n for n, f in model.model_fields.items()]


def _params(metric: Metric[Any], raw: dict[str, Any], path: _YamlPath, smap: SourceMap,
            problems: list[Problem]) -> BaseModel | None:
    model = metric.params
    accepted = set(parameter_names(model))
    if model.model_config.get("populate_by_name") or model.model_config.get("validate_by_name"):
        accepted |= set(model.model_fields)
    before = len(problems)
    if model.model_config.get("extra") != "allow":
        for key in raw:
            if key not in accepted:
                problems.append(Problem("check.plugin_unknown_param", {"metric": metric.name, "key": key},
                                        smap.locate((*path, "with", key), key=True),
                                        did_you_mean(str(key), parameter_names(model))))
    base_dir = smap.locate((*path, "metric")).file
    context = {"base_dir": str(Path(base_dir).parent)} if base_dir else {}
    try:
        params = model.model_validate(raw, context=context)
    except ValidationError as e:
        for err in e.errors():
            if err["type"] == "extra_forbidden":
                continue  # reported above, with a suggestion
            inner, rest = data_path(raw, err["loc"])
            message, hint = describe_error(err, rest)
            key = ".".join(map(str, err["loc"]))
            code, params_ = (("check.plugin_param", {"key": key}) if err["loc"] and err["type"] != "missing"
                             else ("check.plugin_params", {}))
            problems.append(Problem(code, {"metric": metric.name, **params_, "detail": message},
                                    smap.locate((*path, "with", *inner)), hint))
        return None
    except Exception as e:  # a plugin's validator may raise anything
        problems.append(Problem("check.plugin_params", {"metric": metric.name, "detail": describe_exception(e)},
                                smap.locate((*path, "with"))))
        return None
    return params if len(problems) == before else None


def _inputs(metric: Metric[Any], params: BaseModel, indicator: str, path: _YamlPath, smap: SourceMap,
            problems: list[Problem]) -> set[str] | None:
    where = smap.locate((*path, "metric"))
    try:
        inputs = metric.inputs(params)
    except Exception as e:  # reported like a failure of compute(), naming plugin and indicator
        problems.append(Problem("check.plugin_failed", {"metric": metric.name, "indicator": indicator,
                                                        "step": "inputs()", "error": describe_exception(e)}, where))
        return None
    if isinstance(inputs, str | bytes) or not isinstance(inputs, Iterable):
        problems.append(Problem("check.plugin_inputs_type", {"metric": metric.name, "value": repr(inputs)}, where))
        return None
    names = list(inputs)
    if not all(isinstance(n, str) for n in names):
        problems.append(Problem("check.plugin_inputs_type", {"metric": metric.name, "value": repr(names)}, where))
        return None
    return set(names)
