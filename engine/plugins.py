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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from kaohe.engine.errors import Problem, RulesetError
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
    loader can check they exist and order indicators correctly.

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


class _Registry:
    """Name -> Metric, filled lazily from the entry points."""

    def __init__(self) -> None:
        self._metrics: dict[str, Metric[Any]] | None = None
        self._load_errors: dict[str, str] = {}

    def _load(self) -> dict[str, Metric[Any]]:
        if self._metrics is None:
            found: dict[str, Metric[Any]] = {}
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                try:
                    obj = ep.load()
                except Exception as e:  # a broken third-party plugin must not stop kaohe
                    self._load_errors[ep.name] = f"{type(e).__name__}: {e}"
                    continue
                if isinstance(obj, Metric):
                    found.setdefault(ep.name, obj)
                else:
                    self._load_errors[ep.name] = f"entry point {ep.value} is not a kaohe Metric"
            self._metrics = found
        return self._metrics

    def register(self, metric: Metric[Any]) -> None:
        """Register a metric directly (tests, notebooks); entry points are the normal path."""
        self._load()[metric.name] = metric

    def unregister(self, name: str) -> None:
        """Remove a metric registered with :meth:`register`."""
        self._load().pop(name, None)

    def get(self, name: str) -> Metric[Any] | None:
        """The metric called ``name``, or ``None``."""
        return self._load().get(name)

    def names(self) -> list[str]:
        """Names of all installed metrics, sorted."""
        return sorted(self._load())

    def all(self) -> list[Metric[Any]]:
        """All installed metrics, sorted by name."""
        metrics = self._load()
        return [metrics[n] for n in sorted(metrics)]

    @property
    def load_errors(self) -> dict[str, str]:
        """Entry points that failed to load, with the reason."""
        self._load()
        return dict(self._load_errors)


registry = _Registry()


def as_float_array(values: Sequence[float] | npt.ArrayLike, n: int, metric: str) -> FloatArray:
    """Check a metric's result: one float per unit; raise a clear error otherwise."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise RulesetError(
            Problem("plugin.bad_result", {"metric": metric, "shape": str(arr.shape), "n": n})
        )
    return arr


from kaohe.engine.i18n import register as _register  # noqa: E402

_register(
    {
        "plugin.bad_result": (
            "插件指标 `{metric}` 返回了形状为 {shape} 的结果，应为每个单位一个值（{n} 个）",
            "plugin metric `{metric}` returned shape {shape}; expected one value per unit ({n})",
        ),
    }
)
