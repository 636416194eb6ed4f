"""The columnar limit: benchmarks/community.yaml evaluated by a plain numpy script.

It does the same work as ``kaohe run --json`` on that ruleset — parse the CSV,
formulas, scores, lights, weighted totals with missing values re-weighted,
the four rules, grades with caps, the 20% quota with tie-break and reported
ties, ranks, the same SQLite rows in one transaction (each unit's results,
indicators, firings, alerts and source line), the same JSON document —
with nothing general: every formula, threshold and rule is written out by hand.
bench_run.py times it beside kaohe and prints kaohe's time as a ratio to it,
and checks that both give the same scores and grades.

    .venv/bin/python benchmarks/baseline.py FACTS.csv OUT.db OUT.json
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

GRADES = ["优秀", "良好", "合格", "不合格"]
MINS = [90.0, 75.0, 60.0]
LIGHTS = np.asarray(["none", "green", "yellow", "red"], dtype=object)
INDICATORS = ["visit_rate", "resolve_rate", "complaint_rate", "satisfaction"]
WEIGHTS = {"urban": [25.0, 25.0, 25.0, 25.0], "rural": [35.0, 25.0, 15.0, 25.0]}
FACTS = ["households", "visits", "complaints", "resolved", "survey", "violations", "awards"]
_DOUBT = 4.0  # units in the last place within which a half is decided on the decimal


def round10(v: np.ndarray) -> np.ndarray:
    """Half away from zero at 10 decimals, on the decimal a person writes for the value
    (its repr): ``floor(s + ½)``, with :class:`decimal.Decimal` only for the few within a
    few ulps of a half (the rule of docs/ruleset.md, "Numbers")."""
    s = np.abs(v) * 1e10
    whole = np.floor(s)
    fraction = s - whole
    out = np.sign(v) * (whole + (fraction >= 0.5)) / 1e10
    for i in np.flatnonzero(np.abs(fraction - 0.5) <= _DOUBT * np.spacing(s)).tolist():
        out[i] = float(Decimal(repr(float(v[i]))).quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP))
    return out + 0.0


def linear(x: np.ndarray, worst: float, best: float) -> np.ndarray:
    return round10(100.0 * np.clip((x - worst) / (best - worst), 0.0, 1.0))


def ratio(a: np.ndarray, b: np.ndarray, times: float = 1.0) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = a / b * times
    return round10(np.where(np.isfinite(r), r, np.nan))


def evaluate(csv_path: Path) -> dict[str, Any]:
    """Parse and evaluate; every result as a column sorted by unit id."""
    table = pa_csv.read_csv(csv_path)
    order = pc.sort_indices(table, [("unit", "ascending")])
    table = table.take(order)
    lines = order.to_numpy() + 2  # each unit's line in the file (line 1 is the header)
    f = {k: table[k].to_numpy(zero_copy_only=False).astype(np.float64) for k in FACTS}
    for k in ("violations", "awards"):
        f[k] = np.nan_to_num(f[k], nan=0.0)
    cats = np.asarray(table["category"].to_pylist(), dtype=object)
    values = {
        "visit_rate": ratio(f["visits"], f["households"]),
        "resolve_rate": ratio(f["resolved"], f["complaints"]),
        "complaint_rate": ratio(f["complaints"], f["households"], 100.0),
        "satisfaction": round10(f["survey"]),
    }
    scores = {
        "visit_rate": linear(values["visit_rate"], 0.2, 1.0),
        "resolve_rate": linear(values["resolve_rate"], 0.6, 1.0),
        "complaint_rate": linear(values["complaint_rate"], 10.0, 1.0),
        "satisfaction": linear(values["satisfaction"], 60.0, 95.0),
    }
    lights = {}
    for k, green, yellow, higher in (("visit_rate", 0.8, 0.5, True), ("resolve_rate", 0.9, 0.75, True),
                                     ("complaint_rate", 2.0, 5.0, False), ("satisfaction", 85.0, 70.0, True)):
        v = values[k]
        g, y = (v >= green, v >= yellow) if higher else (v <= green, v <= yellow)
        lights[k] = np.where(np.isnan(v), 0, np.where(g, 1, np.where(y, 2, 3))).astype(np.int8)
    urban = cats == "urban"
    weights = {k: np.where(urban, WEIGHTS["urban"][j], WEIGHTS["rural"][j]) for j, k in enumerate(INDICATORS)}
    num = np.zeros(len(cats))
    den = np.zeros(len(cats))
    for k in INDICATORS:
        have = ~np.isnan(scores[k])
        num += np.where(have, weights[k] * np.nan_to_num(scores[k]), 0.0)
        den += np.where(have, weights[k], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        base = round10(np.where(den > 0, num / den, np.nan))
    fired = {"award": f["awards"] >= 1, "low_satisfaction": f["survey"] < 60,
             "red_resolve": lights["resolve_rate"] == 3, "veto": f["violations"] > 0}
    points = round10(np.minimum(np.where(fired["award"], 2.0, 0.0), 3.0) + np.where(fired["low_satisfaction"], -3.0, 0.0))
    score = round10(base + points)
    band = np.full(len(cats), 3, dtype=np.int64)
    for g in range(2, -1, -1):
        band[score >= MINS[g]] = g
    band[np.isnan(score)] = -1
    cap = np.where(fired["veto"], 3, -1)
    grade = np.where((cap >= 0) & (band >= 0), np.maximum(band, cap), band)
    units = table["unit"].to_pylist()
    ties, demoted = quota(grade, score, cats, values, units)
    rank = np.zeros(len(cats), dtype=np.int64)
    for c in ("rural", "urban"):
        idx = np.flatnonzero((cats == c) & ~np.isnan(score))
        neg = np.sort(-score[idx])
        rank[idx] = np.searchsorted(neg, -score[idx], side="left") + 1
    return {"units": units, "names": table["name"].to_pylist(), "cats": cats, "facts": f, "values": values,
            "scores": scores, "lights": lights, "weights": weights, "base": base, "points": points,
            "score": score, "band": band, "cap": cap, "grade": grade, "rank": rank, "fired": fired,
            "ties": ties, "demoted": demoted, "lines": lines}


def quota(grade: np.ndarray, score: np.ndarray, cats: np.ndarray, values: dict[str, np.ndarray],
          units: list[str]) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """20% 优秀 per category; order by score, then survey, then resolve rate (missing loses)."""
    ties: list[dict[str, Any]] = []
    demoted: dict[int, str] = {}
    k1 = np.nan_to_num(-values["satisfaction"], nan=np.inf)
    k2 = np.nan_to_num(-values["resolve_rate"], nan=np.inf)
    for c in ("rural", "urban"):
        in_scope = cats == c
        places = math.floor(int(in_scope.sum()) / 5)
        cand = np.flatnonzero(in_scope & (grade == 0))
        if len(cand) <= places:
            continue
        order = cand[np.lexsort((k2[cand], k1[cand], -score[cand]))]  # units sorted: ties by id
        key = np.stack([-score[order], k1[order], k2[order]], axis=1)
        keep = set(order[:places].tolist())
        if places > 0 and (key[places - 1] == key[places]).all():
            same = (key == key[places - 1]).all(axis=1)
            group = order[same]
            keep -= set(group.tolist())
            ties.append({"scope": c, "grade": GRADES[0], "places": places - int(same[:places].sum()),
                         "units": sorted(units[i] for i in group), "score": float(score[group[0]])})
        for i in order.tolist():
            if i not in keep:
                grade[i] = 1
                demoted[i] = GRADES[0]
    return ties, demoted


def _opt(xs: np.ndarray) -> list[float | None]:
    return [None if x != x else x for x in xs.tolist()]


def insert_many(con: sqlite3.Connection, sql: str, rows: Any) -> None:
    """``executemany(sql, rows)`` as statements of about 2000 parameters (many rows each)."""
    rows = [tuple(row) for row in rows]
    if not rows:
        return
    width = len(rows[0])
    per = max(1, 2000 // width)
    head, values = sql.split(" VALUES ")
    full = len(rows) // per * per
    flat = [x for row in rows[:full] for x in row]
    con.executemany(f"{head} VALUES {','.join([values] * per)}",
                    [flat[s:s + per * width] for s in range(0, len(flat), per * width)])
    if full < len(rows):
        con.execute(f"{head} VALUES {','.join([values] * (len(rows) - full))}",
                    [x for row in rows[full:] for x in row])


def store(r: dict[str, Any], db_path: Path, run_id: str) -> None:
    """The tables' rows, in one transaction, many rows per INSERT statement (as kaohe writes them)."""
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript("""
        CREATE TABLE IF NOT EXISTS unit_results (id INTEGER PRIMARY KEY, run_id, unit, name, category, parent,
            base_score, points, score, grade, rank, band_grade, cap_grade, quota_note, facts_json);
        CREATE TABLE IF NOT EXISTS indicator_results (id INTEGER PRIMARY KEY, run_id, unit, indicator, value,
            score, light, weight);
        CREATE TABLE IF NOT EXISTS rule_firings (id INTEGER PRIMARY KEY, run_id, unit, rule_id, values_json);
        CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY, run_id, unit, kind, text);
        CREATE TABLE IF NOT EXISTS unit_sources (id INTEGER PRIMARY KEY, run_id, unit, rows_json);
        CREATE INDEX IF NOT EXISTS ix_s ON unit_sources (run_id);
        CREATE INDEX IF NOT EXISTS ix_su ON unit_sources (unit);
        CREATE INDEX IF NOT EXISTS ix_u ON unit_results (run_id);
        CREATE INDEX IF NOT EXISTS ix_i ON indicator_results (run_id);
    """)
    names = np.asarray([*GRADES, None], dtype=object)
    units, n = r["units"], len(r["units"])
    facts = [_opt(r["facts"][k]) for k in FACTS]
    with con:
        step = 20_000
        for s in range(0, n, step):
            sl = slice(s, s + step)
            fj = [orjson.dumps(dict(zip(FACTS, row, strict=True))).decode()
                  for row in zip(*(c[sl] for c in facts), strict=True)]
            insert_many(con,
                "INSERT INTO unit_results (run_id, unit, name, category, parent, base_score, points, score, grade,"
                " rank, band_grade, cap_grade, quota_note, facts_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                zip([run_id] * len(fj), units[sl], r["names"][sl], r["cats"][sl].tolist(), [None] * len(fj),
                    _opt(r["base"][sl]), r["points"][sl].tolist(), _opt(r["score"][sl]),
                    names[r["grade"][sl]].tolist(), [x or None for x in r["rank"][sl].tolist()],
                    names[r["band"][sl]].tolist(), names[r["cap"][sl]].tolist(),
                    [r["demoted"].get(i) for i in range(s, min(s + step, n))], fj, strict=True))
            insert_many(con, "INSERT INTO unit_sources (run_id, unit, rows_json) VALUES (?,?,?)",
                        zip([run_id] * len(fj), units[sl], [f"[{x}]" for x in r["lines"][sl].tolist()], strict=True))
            for k in INDICATORS:
                insert_many(con,
                    "INSERT INTO indicator_results (run_id, unit, indicator, value, score, light, weight)"
                    " VALUES (?,?,?,?,?,?,?)",
                    zip([run_id] * len(fj), units[sl], [k] * len(fj), _opt(r["values"][k][sl]),
                        _opt(r["scores"][k][sl]), LIGHTS[r["lights"][k][sl]].tolist(),
                        r["weights"][k][sl].tolist(), strict=True))
        rows = []
        for rule, hit in r["fired"].items():
            for i in np.flatnonzero(hit).tolist():
                rows.append((run_id, units[i], rule, "{}"))
        insert_many(con, "INSERT INTO rule_firings (run_id, unit, rule_id, values_json) VALUES (?,?,?,?)", rows)
        alerts = [(run_id, units[i], "alert", "督办") for i in np.flatnonzero(r["fired"]["red_resolve"]).tolist()]
        alerts += [(run_id, units[i], "note", "发生违纪问题") for i in np.flatnonzero(r["fired"]["veto"]).tolist()]
        insert_many(con, "INSERT INTO alerts (run_id, unit, kind, text) VALUES (?,?,?,?)", alerts)
    con.close()


def write_json(r: dict[str, Any], path: Path, run: dict[str, Any]) -> None:
    """The ``run --json`` document, one chunk of unit objects at a time."""
    names = np.asarray([*GRADES, None], dtype=object)
    order = ["veto", "award", "red_resolve", "low_satisfaction"]
    with path.open("wb") as out:
        out.write(json.dumps({"run": run}, ensure_ascii=False, indent=2).encode()[:-2] + b',\n  "units": [\n')
        n = len(r["units"])
        step = 4096
        for s in range(0, n, step):
            sl = slice(s, min(s + step, n))
            cols = [(k, r["values"][k][sl].tolist(), r["scores"][k][sl].tolist(),
                     LIGHTS[r["lights"][k][sl]].tolist(), r["weights"][k][sl].tolist()) for k in INDICATORS]
            fired = {k: r["fired"][k][sl].tolist() for k in order}
            base, points, score = r["base"][sl].tolist(), r["points"][sl].tolist(), r["score"][sl].tolist()
            grade, rank = names[r["grade"][sl]].tolist(), r["rank"][sl].tolist()
            docs = []
            for j, unit in enumerate(r["units"][sl]):
                hit = [k for k in order if fired[k][j]]
                docs.append({"unit": unit, "name": r["names"][s + j], "category": r["cats"][s + j],
                             "base_score": base[j], "points": points[j], "score": score[j],
                             "grade": grade[j], "rank": rank[j] or None,
                             "indicators": {k: {"value": v[j], "score": sc[j], "light": li[j], "weight": w[j]}
                                            for k, v, sc, li, w in cols},
                             "fired": hit, "alerts": ["督办"] if fired["red_resolve"][j] else [],
                             "notes": ["发生违纪问题"] if fired["veto"][j] else []})
            body = orjson.dumps(docs, option=orjson.OPT_INDENT_2)[2:-2]
            out.write((b",\n" if s else b"") + b"  " + body.replace(b"\n", b"\n  "))
        out.write(b"\n  ],\n  \"ties\": " + json.dumps(r["ties"], ensure_ascii=False, indent=2).encode()
                  .replace(b"\n", b"\n  ") + b"\n}\n")


def main(csv_path: Path, db_path: Path, json_path: Path) -> dict[str, float]:
    """Run every stage; return seconds per stage."""
    stages: dict[str, float] = {}
    t = time.perf_counter()
    r = evaluate(csv_path)
    stages["parse + evaluate"] = time.perf_counter() - (t := t)
    t = time.perf_counter()
    store(r, db_path, "baseline")
    stages["store"] = time.perf_counter() - t
    t = time.perf_counter()
    write_json(r, json_path, {"id": "baseline", "units": len(r["units"])})
    stages["json"] = time.perf_counter() - t
    return stages


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))))
