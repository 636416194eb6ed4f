"""``kaohe form``: the Excel form (填报表) that units or departments fill in.

Generated from the ruleset: an instructions sheet in Chinese (what each column
means, its unit of measure, allowed range, who supplies it, a deadline field),
then one input sheet per ``source:`` (or only ``--source``'s columns) with the
units pre-filled, Excel data validation per column, input cells unlocked and
everything else protected, and — from a stored run — last period's values as
grey reference columns.  ``kaohe run --facts 填报表.xlsx`` reads a filled form
unchanged (``engine.facts.sources``).

openpyxl writes the workbook; it is the Excel library the project already
uses for reports, and it supports data validation and sheet protection.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kaohe.engine.errors import FactsError, Location, Problem, did_you_mean
from kaohe.engine.form import save, sheets, units
from kaohe.engine.i18n import Lang, register
from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.ruleset.access import ExtendsPolicy

__all__ = ["FormResult", "make_form"]

register(
    {
        "form.units_or_run": ("请给出 --units 单位名单文件 或 --run 上期运行编号（二选一）",
                              "give either --units FILE or --run RUN (one of them)"),
        "form.no_source": ("规则集中没有来源（source）为 `{source}` 的事实", "no fact of the ruleset has source `{source}`"),
        "form.no_facts": ("规则集没有要填报的事实（facts:）", "the ruleset declares no facts to collect"),
    }
)


@dataclass
class FormResult:
    """What was written: the file, its input sheets, how many units, which period."""

    path: Path
    sheets: list[str]
    units: int
    period: str | None


def make_form(ruleset_path: str | Path, out: Path, *, units_file: Path | None = None, run: str | None = None,
              db: str | None = None, source: str | None = None, category: str | None = None,
              period: str | None = None, lang: Lang = "zh", extends: ExtendsPolicy | None = None) -> FormResult:
    """Write the form for ``ruleset_path`` to ``out`` (see the module doc; ``extends``: where the
    ruleset's ``extends:`` may read, engine/ruleset/access.py)."""
    ruleset = load_ruleset(ruleset_path, extends=extends)
    model = ruleset.model
    if (units_file is None) == (run is None):
        raise FactsError(Problem("form.units_or_run"))
    groups = sheets.sheet_groups(model, source, lang)
    if not groups:
        if source is None:
            raise FactsError(Problem("form.no_facts", {}, ruleset.locate(("facts",))))
        known = sorted({f.source for f in model.facts.values() if f.source})
        raise FactsError(Problem("form.no_source", {"source": source}, Location(None, None, None, "--source"),
                                 did_you_mean(source, known)))
    if units_file is not None:
        chosen = units.from_file(units_file, model, period)
    else:
        from kaohe.engine.store import Store

        assert run is not None
        chosen = units.from_run(Store(db), run, model, period)
    chosen = units.only_category(chosen, category, model)
    wb = sheets.build(model, chosen, groups, lang)
    save.save(wb, out)
    return FormResult(out, list(groups), len(chosen.units), chosen.period)
