"""Plugin metrics: the public API and the one registry.

A metric is a :class:`Metric`: a name, a pydantic model for its ``with:``
parameters, and a function that receives the whole population's columns for
the period and returns one value per unit (``nan`` = missing).  Built-ins in
``plugins/`` and third-party packages register the same way, through the
entry point group ``kaohe.metrics``; each entry point names a ``Metric``.

Example (a third-party package's ``pyproject.toml``)::

    [project.entry-points."kaohe.metrics"]
    per_judge = "my_package.metrics:PER_JUDGE"
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from kaohe.engine.errors import Problem
from kaohe.engine.i18n import Lang

FloatArray = npt.NDArray[np.float64]
P = TypeVar("P", bound=BaseModel)

ENTRY_POINT_GROUP = "kaohe.metrics"


@dataclass(frozen=True)
class MetricContext:
    """What a metric sees: the population of one run.

    ``columns`` maps every fact id and every indicator computed before this
    metric to a float64 array (``nan`` = missing), aligned with ``units``.
    ``history`` maps earlier periods (oldest first) to the same kind of
    mapping, keyed by unit id, when the run has stored history.

    During a run every array and mapping is read-only: the facts later
    formulas read and the run stores can never be changed by a plugin.  A
    metric that wants to modify values works on a copy
    (``np.array(ctx.column(name))``).
    """

    units: Sequence[str]
    categories: npt.NDArray[np.str_]
    columns: Mapping[str, FloatArray]
    period: str
    parents: Sequence[str | None] = ()
    history: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)

    def column(self, name: str) -> FloatArray:
        """The column ``name``; a ``KeyError`` names what exists."""
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(f"no column {name!r}; known: {', '.join(sorted(self.columns))}") from None


@dataclass(frozen=True)
class Metric(Generic[P]):
    """A registered plugin metric.

    ``inputs(params)`` lists the fact/indicator ids the metric reads, so the
    loader can check they exist and order indicators correctly.  ``files(params)``
    lists the files it reads (e.g. a ratings file): their contents are part of
    the run id, so editing one gives a new run instead of the stored one.

    Optional hooks: ``details(ctx, params, values)`` records what the
    computation did (:class:`MetricDetails`, stored with the run, called right
    after ``compute``); ``explain(unit_details, lang)`` turns one unit's stored
    details into lines for ``kaohe explain``; ``tables(details, lang)`` gives
    :class:`DetailTable` s for ``kaohe analyze``; ``warnings(params)`` gives
    load-time :class:`ParamWarning` s for ``kaohe validate``.
    """

    name: str
    params: type[P]
    compute: Callable[[MetricContext, P], FloatArray]
    inputs: Callable[[P], Sequence[str]]
    description: str = ""
    description_zh: str = ""
    uses_history: bool = False
    # Chinese description of each `with:` key (the English one is the field's `description`)
    params_zh: Mapping[str, str] = field(default_factory=dict)
    files: Callable[[P], Sequence[str]] | None = None
    # optional hooks (see "Explaining what a metric did" in docs/plugins.md)
    details: Callable[[MetricContext, P, FloatArray], MetricDetails] | None = None
    explain: Callable[[UnitDetails, Lang], list[str]] | None = None
    tables: Callable[[MetricDetails, Lang], list[DetailTable]] | None = None
    warnings: Callable[[P], Sequence[ParamWarning]] | None = None


@dataclass(frozen=True)
class MetricDetails:
    """What a metric recorded about one computation (its ``details`` hook); stored with the run.

    ``summary`` holds population-wide figures, ``units`` figures per unit id;
    both must be JSON-ready (str, int, float, bool, None, lists, dicts with
    string keys).  ``warnings`` are shown by ``kaohe run``, ``explain`` and
    ``analyze``; their codes are messages the plugin registered with
    :func:`kaohe.engine.i18n.register`.
    """

    summary: Mapping[str, Any] = field(default_factory=dict)
    units: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    warnings: Sequence[Problem] = ()


@dataclass(frozen=True)
class UnitDetails:
    """What the ``explain`` hook receives for one unit, read back from the stored run."""

    unit: str
    summary: Mapping[str, Any]
    data: Mapping[str, Any] | None
    params: Mapping[str, Any]


@dataclass(frozen=True)
class DetailTable:
    """A table a metric adds to ``kaohe analyze`` (its ``tables`` hook), e.g. what its corrections did.

    ``columns`` are ``(key, header)`` pairs; each row maps keys to JSON-ready values.
    """

    id: str
    title: str
    columns: Sequence[tuple[str, str]]
    rows: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class ParamWarning:
    """Load-time advice about a metric's parameters (its ``warnings`` hook), shown by ``kaohe validate``.

    ``key`` is the ``with:`` key it is about (located in the file); ``code`` a
    message the plugin registered, formatted with ``params``.
    """

    key: str
    code: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Provider:
    """The installed package that provides a metric, and its entry point."""

    package: str
    version: str
    entry_point: str  # "name = module:object"

    def describe(self) -> str:
        """``package version (entry point)`` for messages."""
        return f"{self.package} {self.version}".strip() + f" ({self.entry_point})"


def _provider(ep: EntryPoint) -> Provider:
    dist = getattr(ep, "dist", None)
    name = str(dist.metadata["Name"] or dist.name) if dist is not None else "?"
    version = str(dist.version) if dist is not None else ""
    return Provider(name, version, f"{ep.name} = {ep.value}")


def describe_exception(e: BaseException) -> str:
    """``Type: message`` of a plugin's exception; the whole traceback when ``KAOHE_DEBUG=1``."""
    head = f"{type(e).__name__}: {e}"
    if os.environ.get("KAOHE_DEBUG", "") not in ("", "0"):
        return head + "\n" + "".join(traceback.format_exception(e)).rstrip()
    return head


class _Registry:
    """Name -> Metric, filled lazily from the entry points.

    An entry point is trusted with nothing: one that fails to import, names
    something that is not a :class:`Metric`, names a metric of a different
    name, or shares its name with another package's entry point is a *load
    error* (shown by ``kaohe plugins`` and ``kaohe validate``), never a silent
    replacement of another metric.
    """

    def __init__(self) -> None:
        self._metrics: dict[str, Metric[Any]] | None = None
        self._providers: dict[str, Provider] = {}
        self._load_errors: dict[str, Problem] = {}

    def _load(self) -> dict[str, Metric[Any]]:
        if self._metrics is None:
            by_name: dict[str, list[EntryPoint]] = {}
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                by_name.setdefault(ep.name, []).append(ep)
            metrics: dict[str, Metric[Any]] = {}
            self._providers, self._load_errors = {}, {}
            for name in sorted(by_name):
                eps = by_name[name]
                providers = [_provider(ep) for ep in eps]
                if len(eps) > 1:
                    self._load_errors[name] = Problem("plugin.duplicate", {
                        "name": name, "packages": "; ".join(p.describe() for p in providers)})
                    continue
                metric = self._load_one(eps[0], providers[0])
                if metric is not None:
                    metrics[name] = metric
                    self._providers[name] = providers[0]
            self._metrics = metrics
        return self._metrics

    def _load_one(self, ep: EntryPoint, provider: Provider) -> Metric[Any] | None:
        where: dict[str, object] = {"name": ep.name, "package": provider.package, "value": ep.value}
        try:
            obj = ep.load()
        except Exception as e:  # a broken third-party plugin must not stop kaohe
            self._load_errors[ep.name] = Problem("plugin.import_failed", {**where, "error": describe_exception(e)})
            return None
        if not isinstance(obj, Metric):
            self._load_errors[ep.name] = Problem("plugin.not_metric", {**where, "type": type(obj).__name__})
            return None
        if obj.name != ep.name:
            self._load_errors[ep.name] = Problem("plugin.name_mismatch", {**where, "metric": obj.name})
            return None
        if not (isinstance(obj.params, type) and issubclass(obj.params, BaseModel)):
            self._load_errors[ep.name] = Problem("plugin.params_model", where)
            return None
        return obj

    def reload(self) -> None:
        """Forget what was found and look at the entry points again (after installing a plugin)."""
        self._metrics = None

    def register(self, metric: Metric[Any]) -> None:
        """Register a metric directly (tests, notebooks); entry points are the normal path.

        It may replace a metric registered this way, never an installed one (an entry
        point, or a name whose entry points failed to load): that is a ``ValueError``.
        """
        metrics = self._load()
        if metric.name in self._providers or metric.name in self._load_errors:
            raise ValueError(f"a plugin metric named {metric.name!r} is already installed")
        metrics[metric.name] = metric

    def unregister(self, name: str) -> None:
        """Remove a metric registered with :meth:`register`."""
        self._load().pop(name, None)

    def get(self, name: str) -> Metric[Any] | None:
        """The metric called ``name``, or ``None`` (see :meth:`load_error` for why)."""
        return self._load().get(name)

    def names(self) -> list[str]:
        """Names of all installed metrics, sorted."""
        return sorted(self._load())

    def all(self) -> list[Metric[Any]]:
        """All installed metrics, sorted by name."""
        metrics = self._load()
        return [metrics[n] for n in sorted(metrics)]

    def provider(self, name: str) -> Provider | None:
        """The package providing metric ``name`` (``None`` for metrics registered directly)."""
        self._load()
        return self._providers.get(name)

    def load_error(self, name: str) -> Problem | None:
        """Why the entry point ``name`` could not be loaded, if it could not."""
        self._load()
        return self._load_errors.get(name)

    @property
    def load_errors(self) -> dict[str, Problem]:
        """Entry points that failed to load, with the reason, by name."""
        self._load()
        return dict(self._load_errors)


registry = _Registry()


from kaohe.engine.i18n import register as _register  # noqa: E402

_register(
    {
        "plugin.duplicate": (
            "插件指标名 `{name}` 被多个软件包注册：{packages}。请卸载其中一个，或更改其入口点名称",
            "the plugin metric name `{name}` is registered by several packages: {packages}. "
            "Uninstall one of them or rename its entry point",
        ),
        "plugin.import_failed": (
            "插件指标 `{name}`（软件包 {package}，入口点 {value}）导入失败：{error}",
            "plugin metric `{name}` (package {package}, entry point {value}) failed to import: {error}",
        ),
        "plugin.not_metric": (
            "入口点 `{name}`（软件包 {package}）指向的 {value} 是 {type}，不是 kaohe.Metric",
            "entry point `{name}` (package {package}) names {value}, a {type}, not a kaohe.Metric",
        ),
        "plugin.name_mismatch": (
            "入口点 `{name}`（软件包 {package}，{value}）指向名为 `{metric}` 的指标；入口点名称必须与 Metric.name 相同",
            "entry point `{name}` (package {package}, {value}) names a metric called `{metric}`; "
            "the entry point name must equal Metric.name",
        ),
        "plugin.params_model": (
            "插件指标 `{name}`（软件包 {package}）的 params 不是 pydantic 模型（BaseModel 的子类）",
            "the params of plugin metric `{name}` (package {package}) is not a pydantic model (a BaseModel subclass)",
        ),
    }
)
