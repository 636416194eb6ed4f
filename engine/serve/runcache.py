"""Stored runs as the pages and the API need them, read once and kept.

A stored run does not change (a re-run writes a new one), so its units, its
``run --json`` document, its report context and its rendered report are kept
in a small LRU keyed by run id and creation time.  Twenty clients reading the
same 10k-unit run cost one database read.  What the report says *about* the
run does change — it gets superseded or published, earlier periods get new
current runs — so the report context and what is rendered from it are also
keyed by a stamp of the run record (how many runs and publications there are;
neither is ever deleted).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from kaohe.engine.errors import RunError
from kaohe.engine.i18n import Lang
from kaohe.engine.results import UnitResult
from kaohe.engine.store import RunInfo, Store, UnitRow

if TYPE_CHECKING:
    from kaohe.engine.diff import Side

T = TypeVar("T")


class RunCache:
    """Per-run derived data, computed on first use (one computation per key at a time)."""

    def __init__(self, store: Store, size: int):
        self.store = store
        self.size = size
        self._data: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str, str], threading.Lock] = {}

    def info(self, run: str) -> RunInfo | None:
        """The run whose id is exactly ``run`` (no prefixes on the web: ids are links)."""
        if not run or len(run) > 64:
            return None
        try:
            info = self.store.get_run(run)
        except RunError:
            return None
        return info if info.id == run else None

    def _get(self, info: RunInfo, name: str, compute: Callable[[], T]) -> T:
        key = (info.id, str(info.created_at))
        with self._lock:
            slot = self._data.get(key)
            if slot is not None and name in slot:
                self._data.move_to_end(key)
                return slot[name]  # type: ignore[no-any-return]
            key_lock = self._key_locks.setdefault((*key, name), threading.Lock())
        with key_lock:
            with self._lock:
                slot = self._data.get(key)
                if slot is not None and name in slot:
                    return slot[name]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                slot = self._data.setdefault(key, {})
                if "@" in name:  # a newer record stamp: the older renderings are stale
                    base = name.split("@", 1)[0] + "@"
                    for stale in [n for n in slot if n.startswith(base)]:
                        del slot[stale]
                slot[name] = value
                self._data.move_to_end(key)
                while len(self._data) > self.size:
                    old, _ = self._data.popitem(last=False)
                    for k in [k for k in self._key_locks if k[:2] == old]:
                        del self._key_locks[k]
            return value

    def units(self, info: RunInfo) -> list[UnitResult]:
        """Every unit's result, sorted by unit id."""
        return self._get(info, "units", lambda: self.store.load_units(info.id))

    def unit(self, info: RunInfo, unit: str) -> UnitResult | None:
        """One unit's result by id."""
        index = self._get(info, "index", lambda: {u.unit: u for u in self.units(info)})
        return index.get(unit)

    def diff_side(self, info: RunInfo) -> Side:
        """The run as one side of ``kaohe diff`` (columnar; the what-if compares edits against it)."""
        from kaohe.engine.diff.sides import side_of_run

        return self._get(info, "diff_side", lambda: side_of_run(self.store, info))

    def indicator_order(self, info: RunInfo) -> list[str]:
        """The ruleset's indicators in the author's order."""
        def compute() -> list[str]:
            try:
                return list(json.loads(info.ruleset_json or "{}").get("indicators") or {})
            except ValueError:
                return []
        return self._get(info, "order", compute)

    def unit_json(self, info: RunInfo, u: UnitResult) -> dict[str, object]:
        """One unit as in ``kaohe run --json`` (indicators in the ruleset's order)."""
        doc = u.as_json()
        inds = doc["indicators"]
        assert isinstance(inds, dict)
        doc["indicators"] = {k: inds[k] for k in self.indicator_order(info) if k in inds} | {
            k: v for k, v in inds.items() if k not in self.indicator_order(info)}
        return doc

    def run_json_bytes(self, info: RunInfo) -> bytes:
        """The whole ``kaohe run --json`` document, encoded once."""
        def compute() -> bytes:
            doc = {"run": info.as_json(), "units": [self.unit_json(info, u) for u in self.units(info)],
                   "ties": info.ties}
            return json.dumps(doc, ensure_ascii=False, allow_nan=False).encode()
        return self._get(info, "json", compute)

    def record_stamp(self) -> str:
        """Changes whenever a run is stored or published (what the reports say about runs)."""
        from sqlalchemy import func

        from kaohe.engine.store import PublicationRow, RunRow

        query = select(select(func.count()).select_from(RunRow).scalar_subquery(),
                       select(func.count()).select_from(PublicationRow).scalar_subquery())
        with self.store.engine.connect() as conn:
            runs, published = conn.execute(query).one()
        return f"{runs}.{published}"

    def context(self, info: RunInfo, lang: Lang, stamp: str | None = None) -> dict[str, Any]:
        """The report template context (with history, charts and the run's record)."""
        def compute() -> dict[str, Any]:
            from kaohe.engine.report import build_context, history_from_store
            from kaohe.engine.store_inputs import report_sources

            return build_context(info, self.units(info), lang=lang, history=history_from_store(self.store, info),
                                 charts=True, details=self.store.load_details(info.id),
                                 sources=report_sources(self.store.engine, info.id, lang))
        return self._get(info, f"context.{lang}@{stamp or self.record_stamp()}", compute)

    def unit_context(self, info: RunInfo, lang: Lang, unit: str) -> dict[str, Any] | None:
        """The per-unit card context of ``unit`` (as ``kaohe report --per-unit`` renders it)."""
        from kaohe.engine.report.context import unit_context

        stamp = self.record_stamp()
        context = self.context(info, lang, stamp)
        index = self._get(info, f"cards.{lang}@{stamp}", lambda: {u["unit"]: u for u in context["units"]})
        doc = index.get(unit)
        return unit_context(context, doc) if doc is not None else None

    def report_html(self, info: RunInfo, lang: Lang) -> str:
        """The run's HTML report, rendered from the report templates."""
        def compute() -> str:
            from kaohe.engine.report import _chosen_template
            from kaohe.engine.report.render import render_template

            region = Path(info.ruleset_path).parent if info.ruleset_path else None
            name = _chosen_template(info) or "report.html.j2"
            return render_template(name, self.context(info, lang, stamp), region_dir=region)
        stamp = self.record_stamp()
        return self._get(info, f"html.{lang}@{stamp}", compute)

    def runs_of_unit(self, unit: str) -> set[str]:
        """Ids of the runs in which ``unit`` has a result (what a unit account may see)."""
        with Session(self.store.engine) as s:
            return {r[0] for r in s.execute(select(col(UnitRow.run_id)).where(col(UnitRow.unit) == unit).distinct()).all()}
