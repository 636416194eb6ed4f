"""Malformed rulesets and facts files: whatever the damage, a KaoheError with a location, never a crash.

Seeded random mutations of a valid ruleset and facts file (delete, duplicate,
insert YAML/CSV syntax, replace values, cut characters).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kaohe.engine.errors import FactsError, KaoheError
from kaohe.engine.evaluate import evaluate
from kaohe.engine.facts import load_facts
from kaohe.engine.ruleset import load_ruleset
from tests.samples import MINI, Q1

TOKENS = ["", " ", ":", "-", "{", "}", "[", "]", '"', "'", "0", "-1", "1e400", "abc", "结案", "\t", "\n",
          "null", "~", "&a", "*a", "!!python/object:os.system", "%", ">= 0.8", "__import__('os')", "100",
          "true", "[1,2]", "{a: 1}", "? x", "九十九", "１００", ",", ";", "=1+1"]


def mutate(text: str, rnd: random.Random) -> str:
    lines = text.strip("\n").splitlines()
    for _ in range(rnd.randint(1, 3)):
        k = rnd.randrange(len(lines))
        line, op = lines[k], rnd.random()
        pos = rnd.randrange(len(line) + 1)
        if op < 0.2:
            del lines[k]
        elif op < 0.5:
            lines[k] = line[:pos] + rnd.choice(TOKENS) + line[pos:]
        elif op < 0.7 and ":" in line:
            lines[k] = line.partition(":")[0] + ": " + rnd.choice(TOKENS)
        elif op < 0.85:
            lines.insert(k, lines[rnd.randrange(len(lines))])
        else:
            lines[k] = line[:pos] + line[pos + 1:]
        if not lines:
            lines = ["x"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(6))
def test_mutated_rulesets_fail_cleanly(tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    facts = tmp_path / "q.csv"
    facts.write_text(Q1, encoding="utf-8")
    for i in range(60):
        path = tmp_path / f"r{i}.yaml"
        path.write_text(mutate(MINI, rnd), encoding="utf-8")
        try:
            ruleset = load_ruleset(path)
            m = ruleset.model
            table = load_facts(facts, m.facts, m.categories, period_kind=m.period,
                               period="2025Q1" if m.period == "quarter" else None)
            evaluate(ruleset, table)
        except FactsError as e:
            e.render("en")
        except KaoheError as e:
            assert e.render("zh") and e.render("en")
            assert all(p.location is not None and p.location.file for p in e.problems), e.render("en")


@pytest.mark.parametrize("seed", range(4))
def test_mutated_facts_files_fail_cleanly(tmp_path: Path, seed: int) -> None:
    rnd = random.Random(100 + seed)
    rules = tmp_path / "r.yaml"
    rules.write_text(MINI, encoding="utf-8")
    ruleset = load_ruleset(rules)
    m = ruleset.model
    for i in range(60):
        path = tmp_path / f"q{i}.csv"
        path.write_text(mutate(Q1, rnd), encoding="utf-8")
        try:
            evaluate(ruleset, load_facts(path, m.facts, m.categories, period_kind="quarter", period="2025Q1"))
        except FactsError as e:
            assert all(p.location is not None and p.location.file for p in e.problems), e.render("en")
