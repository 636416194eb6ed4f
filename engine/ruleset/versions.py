"""Pick the ruleset version in force for a period (``effective: {from, to}``).

A region may keep several versions side by side (``court-2024.yaml``,
``court-2025.yaml``); ``kaohe run rulesets/<region>/ --period 2024Q3`` picks
the one whose ``effective`` range holds the period's first day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kaohe.engine.errors import Location, Problem, RulesetError
from kaohe.engine.i18n import register
from kaohe.engine.period import Period
from kaohe.engine.ruleset.yamlload import load_yaml

register(
    {
        "versions.none": ("{folder} 中没有在 {period} 生效的规则集（现有：{versions}）",
                          "no ruleset in {folder} is in force for {period} (versions: {versions})"),
        "versions.several": ("{folder} 中有多个规则集在 {period} 生效：{files}",
                             "several rulesets in {folder} are in force for {period}: {files}"),
        "versions.no_period": ("从文件夹选择规则集版本需要考核期：请使用 --period",
                               "choosing a ruleset version from a folder needs the period: pass --period"),
    }
)


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def select_version(folder: Path, period: Period | None) -> Path:
    """The ruleset file of ``folder`` in force on the first day of ``period``."""
    if period is None:
        raise RulesetError(Problem("versions.no_period", {}, Location(str(folder))))
    day = period.start()
    found: list[Path] = []
    described: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        data, _ = load_yaml(path)
        raw = data.get("effective")
        eff: dict[str, object] = raw if isinstance(raw, dict) else {}
        start, end = _as_date(eff.get("from")), _as_date(eff.get("to"))
        described.append(f"{path.name} ({start or '…'} – {end or '…'})")
        if (start is None or start <= day) and (end is None or day <= end):
            found.append(path)
    if not found:
        raise RulesetError(Problem("versions.none", {"folder": str(folder), "period": str(period),
                                                     "versions": "; ".join(described) or "—"}))
    if len(found) > 1:
        raise RulesetError(Problem("versions.several", {"folder": str(folder), "period": str(period),
                                                        "files": ", ".join(p.name for p in found)}))
    return found[0]
