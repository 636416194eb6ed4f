"""``extends``: merge a ruleset onto the one it extends, keeping where each value came from.

Merge rules (docs/ruleset.md, "extends"):

* mappings merge by key, the child winning (``categories``, ``facts``,
  ``indicators``, an indicator's ``lights``, ``report`` ...);
* an indicator's ``score`` is replaced as a whole, and giving ``formula`` or
  ``metric`` drops the parent's other one;
* each category's ``weights`` table is replaced as a whole (so it still adds up
  to 100); ``rules`` and ``checks`` merge by ``id`` (checks without one add up);
  ``grades`` and ``tie_break`` are replaced;
* ``id``, ``family``, ``name``, ``description``, ``effective`` and ``tests`` are never inherited;
* ``remove: [ids]`` drops inherited indicators (and their weights) or rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaohe.engine.errors import Location, Problem, RulesetError, did_you_mean
from kaohe.engine.i18n import register
from kaohe.engine.ruleset import access
from kaohe.engine.ruleset.access import ExtendsPolicy
from kaohe.engine.ruleset.yamlload import PathKey, dotted, load_yaml, parse_yaml, read_text

NOT_INHERITED = ("id", "family", "name", "description", "effective", "tests", "extends", "remove")
MAX_DEPTH = 20

register(
    {
        "extends.cycle": ("extends 形成循环：{chain}", "extends forms a cycle: {chain}"),
        "extends.missing": ("extends 指向的文件不存在：{target}", "the file named by extends does not exist: {target}"),
        "extends.type": ("extends 应为一个相对路径文本", "extends must be a relative path (text)"),
        "extends.remove_unknown": ("remove 中的 `{name}` 不是继承来的指标或规则",
                                   "`{name}` in remove is not an inherited indicator or rule"),
        "extends.too_deep": ("extends 层级过深（超过 {limit} 层）", "extends is nested too deeply (over {limit} levels)"),
    }
)


@dataclass
class SourceMap:
    """Path -> location, across every file that contributed to a merged ruleset."""

    values: dict[PathKey, Location] = field(default_factory=dict)
    keys: dict[PathKey, Location] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def locate(self, path: PathKey | str, *, key: bool = False) -> Location:
        """The location of ``path`` (tuple or dotted text), or of its closest ancestor."""
        parts = parse_dotted(path) if isinstance(path, str) else tuple(path)
        probe = parts
        while probe:
            for table in ((self.keys, self.values) if key else (self.values, self.keys)):
                if probe in table:
                    loc = table[probe]
                    return Location(loc.file, loc.line, loc.column, dotted(parts))
            probe = probe[:-1]
        first = self.files[-1] if self.files else None
        return Location(first, 1 if first else None, 1 if first else None, dotted(parts) or None)


_DOTTED = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_dotted(text: str) -> PathKey:
    """``rules[0].when`` -> ``("rules", 0, "when")``."""
    return tuple(int(m.group(2)) if m.group(2) is not None else m.group(1)
                 for m in _DOTTED.finditer(text))


def load_merged(path: Path, policy: ExtendsPolicy | None = None) -> tuple[dict[str, Any], SourceMap]:
    """Load ``path`` and everything it extends, merged; raise :class:`RulesetError`.

    ``policy`` says where ``extends`` may read besides the ruleset's own
    rulesets folder (engine/ruleset/access.py).
    """
    return _load(path.resolve(), [], policy or ExtendsPolicy())


def _file_map(data_marks: Any, file: str) -> SourceMap:
    sm = SourceMap(files=[file])
    for p, (line, col) in data_marks.values.items():
        sm.values[p] = Location(file, line, col)
    for p, (line, col) in data_marks.keys.items():
        sm.keys[p] = Location(file, line, col)
    return sm


def _load(path: Path, stack: list[Path], policy: ExtendsPolicy,
          named: tuple[str, Location] | None = None) -> tuple[dict[str, Any], SourceMap]:
    """``path`` merged onto what it extends; ``named`` is how a child's extends named it."""
    if named is None:
        data, marks = load_yaml(path)
    else:  # an extended file must be a ruleset, checked before it is parsed: otherwise named, never shown
        text = read_text(path)
        access.check_ruleset_text(named[0], text, named[1])
        data, marks = parse_yaml(text, str(path))
        access.check_ruleset(named[0], data, named[1])
    smap = _file_map(marks, str(path))
    parent_ref = data.get("extends")
    if parent_ref is None:
        return data, smap
    where = smap.locate(("extends",))
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise RulesetError(Problem("extends.type", {}, where))
    target = (path.parent / parent_ref).resolve()
    # what the file may name is checked before it is opened, or even looked for
    access.check_target(path, parent_ref, target, policy, where)
    if target in (*stack, path):
        chain = " → ".join(p.name for p in (*stack, path, target))
        raise RulesetError(Problem("extends.cycle", {"chain": chain}, where))
    if len(stack) >= MAX_DEPTH:
        raise RulesetError(Problem("extends.too_deep", {"limit": MAX_DEPTH}, where))
    access.check_regular(parent_ref, target, where)
    if not target.is_file():
        raise RulesetError(Problem("extends.missing", {"target": str(target)}, where))
    parent, parent_map = _load(target, [*stack, path], policy, (parent_ref, where))
    return merge(parent, parent_map, data, smap)


def merge(parent: dict[str, Any], pmap: SourceMap, child: dict[str, Any],
          cmap: SourceMap) -> tuple[dict[str, Any], SourceMap]:
    """The child merged onto the parent, with a source map pointing at whoever set each value."""
    out_map = SourceMap(files=[*pmap.files, *cmap.files])
    result: dict[str, Any] = {}
    inherited = {k: v for k, v in parent.items() if k not in NOT_INHERITED}
    for key in dict.fromkeys([*inherited, *child]):
        if key in child and key in inherited:
            result[key] = _merge_key(key, inherited[key], child[key], pmap, cmap, out_map)
        elif key in child:
            result[key] = child[key]
            _copy(cmap, (key,), (key,), out_map)
        else:
            result[key] = inherited[key]
            _copy(pmap, (key,), (key,), out_map)
    _apply_remove(result, child.get("remove"), cmap, out_map)
    return result, out_map


def _copy(src: SourceMap, old: PathKey, new: PathKey, dst: SourceMap) -> None:
    for table_name in ("values", "keys"):
        table = getattr(src, table_name)
        target = getattr(dst, table_name)
        for p, loc in table.items():
            if p[: len(old)] == old:
                target[new + p[len(old):]] = loc


def _merge_key(key: str, parent: Any, child: Any, pmap: SourceMap, cmap: SourceMap,
               out: SourceMap) -> Any:
    if key in ("rules", "checks") and isinstance(parent, list) and isinstance(child, list):
        return _merge_rules(parent, child, pmap, cmap, out, key)
    if key in ("grades", "tie_break") or not (isinstance(parent, dict) and isinstance(child, dict)):
        _copy(cmap, (key,), (key,), out)
        return child
    return _merge_dict((key,), parent, child, pmap, cmap, out)


def _replaces_whole(path: PathKey) -> bool:
    return (len(path) == 2 and path[0] == "weights") or (
        len(path) == 3 and path[0] == "indicators" and path[2] in ("score", "with"))


def _merge_dict(path: PathKey, parent: dict[str, Any], child: dict[str, Any], pmap: SourceMap,
                cmap: SourceMap, out: SourceMap) -> dict[str, Any]:
    _copy(cmap, path, path, out)  # the mapping's own position: the child's
    result: dict[str, Any] = {}
    drop: set[str] = set()
    if len(path) == 2 and path[0] == "indicators":
        if "formula" in child:
            drop |= {"metric", "with"}
        if "metric" in child:
            drop.add("formula")
    for k in dict.fromkeys([*parent, *child]):
        sub = (*path, k)
        if k in child:
            pv = parent.get(k)
            if isinstance(pv, dict) and isinstance(child[k], dict) and not _replaces_whole(sub):
                result[k] = _merge_dict(sub, pv, child[k], pmap, cmap, out)
            else:
                result[k] = child[k]
                _copy(cmap, sub, sub, out)
        elif k not in drop:
            result[k] = parent[k]
            _copy(pmap, sub, sub, out)
    return result


def _merge_rules(parent: list[Any], child: list[Any], pmap: SourceMap, cmap: SourceMap,
                 out: SourceMap, key: str = "rules") -> list[Any]:
    """Items merged by ``id`` (a child item replaces the parent's of the same id); the rest appended."""
    def rid(r: Any) -> Any:
        return r.get("id") if isinstance(r, dict) else None

    child_ids = {rid(r): j for j, r in enumerate(child) if rid(r) is not None}
    result: list[Any] = []
    used: set[int] = set()
    for i, rule in enumerate(parent):
        j = child_ids.get(rid(rule))
        if j is not None:
            result.append(child[j])
            _copy(cmap, (key, j), (key, len(result) - 1), out)
            used.add(j)
        else:
            result.append(rule)
            _copy(pmap, (key, i), (key, len(result) - 1), out)
    for j, rule in enumerate(child):
        if j not in used:
            result.append(rule)
            _copy(cmap, (key, j), (key, len(result) - 1), out)
    if (key,) in cmap.values:
        out.values[(key,)] = cmap.values[(key,)]
    return result


def _apply_remove(result: dict[str, Any], remove: Any, cmap: SourceMap, out: SourceMap) -> None:
    if not isinstance(remove, list):
        return
    problems = []
    raw_indicators, raw_rules = result.get("indicators"), result.get("rules")
    indicators: dict[str, Any] = raw_indicators if isinstance(raw_indicators, dict) else {}
    rules: list[Any] = raw_rules if isinstance(raw_rules, list) else []
    rule_ids = [r.get("id") for r in rules if isinstance(r, dict)]
    for i, name in enumerate(remove):
        name = str(name)
        if indicators and name in indicators:
            del indicators[name]
            for table in (result.get("weights") or {}).values():
                if isinstance(table, dict):
                    table.pop(name, None)
            if isinstance(result.get("tie_break"), list):
                result["tie_break"] = [t for t in result["tie_break"] if t != name]
        elif name in rule_ids:
            keep = [k for k, r in enumerate(result["rules"])
                    if not (isinstance(r, dict) and r.get("id") == name)]
            result["rules"] = [result["rules"][k] for k in keep]
            _reindex_rules(out, keep)
        else:
            problems.append(Problem("extends.remove_unknown", {"name": name}, cmap.locate(("remove", i)),
                                    did_you_mean(name, [*indicators, *map(str, rule_ids)])))
    if problems:
        raise RulesetError(problems)


def _reindex_rules(out: SourceMap, keep: list[int]) -> None:
    new_index = {old: new for new, old in enumerate(keep)}
    for table in (out.values, out.keys):
        moved: dict[PathKey, Location] = {}
        for p in [p for p in table if len(p) > 1 and p[0] == "rules"]:
            loc = table.pop(p)
            old = p[1]
            if isinstance(old, int) and old in new_index:
                moved[("rules", new_index[old], *p[2:])] = loc
        table.update(moved)
