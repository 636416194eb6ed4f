"""Facts from a SQL query (--facts-sql / --facts-db) on SQLite and on a real PostgreSQL server;
the database password never reaches output, stored runs or reports."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kaohe.engine.facts.sql import mask_url, scrub
from tests.pg import postgres_server

RULESET = """\
kaohe: 1
id: county
name: 县级综合考核
period: quarter
categories:
  plain: {label: 平原乡镇}
  hill: {label: 山区乡镇}
facts:
  letters: {label: 信访件数, type: integer, min: 0}
  solved: {label: 化解件数, type: integer, min: 0}
  revenue: {label: 财政收入, type: number, min: 0, unit: 万元}
indicators:
  solve_rate:
    label: 化解率
    unit: "%"
    formula: solved / letters
    score: {linear: {worst: 0.5, best: 1.0}}
  income:
    label: 财政收入
    formula: revenue
    score: {rank: {}}
weights:
  default: {solve_rate: 60, income: 40}
grades:
  - {name: 优秀, min: 80}
  - {name: 一般}
"""
CSV = """\
unit,name,category,信访件数,化解件数,财政收入
t1,南桥镇,plain,40,38,1200.5
t2,北岭乡,hill,30,21,800
t3,东湖镇,平原乡镇,50,49,1500
"""
ROWS = [("t1", "南桥镇", "plain", 40, 38, "1200.5"), ("t2", "北岭乡", "hill", 30, 21, "800"),
        ("t3", "东湖镇", "平原乡镇", 50, 49, "1500")]
QUERY = "SELECT code AS unit, title AS name, kind AS category, letters AS 信访件数, solved, revenue AS 财政收入\n" \
        "FROM town_facts WHERE quarter = '2025Q1'\n"
PASSWORD = "s3cret-Pw"


@pytest.fixture
def county(project):
    return project({"county.yaml": RULESET, "q1.csv": CSV, "facts.sql": QUERY})


def _sqlite_db(path: Path) -> str:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE town_facts (code TEXT, title TEXT, kind TEXT, letters INTEGER, solved INTEGER, "
                "revenue NUMERIC, quarter TEXT)")
    con.executemany("INSERT INTO town_facts VALUES (?, ?, ?, ?, ?, ?, '2025Q1')", ROWS)
    con.executemany("INSERT INTO town_facts VALUES (?, ?, ?, 1, 1, 1, '2024Q4')", [r[:3] for r in ROWS])
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def run_sql(kaohe, root: Path, db: str, *more: str):
    return kaohe("run", root / "county.yaml", "--period", "2025Q1", "--facts-sql", root / "facts.sql",
                 "--facts-db", db, *more)


def csv_units(kaohe, root: Path):
    r = kaohe("run", root / "county.yaml", "--period", "2025Q1", "--facts", root / "q1.csv", "--json",
              "--db", f"sqlite:///{root / 'csv.db'}")
    assert r.exit_code == 0, r.stderr
    return r.json()["units"]


def test_sqlite_query_gives_the_same_results_as_the_csv(county, kaohe):
    db = _sqlite_db(county / "systems.db")
    r = run_sql(kaohe, county, db, "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["units"] == csv_units(kaohe, county)
    explain = kaohe("explain", r.json()["run"]["id"], "t2")
    assert f"来源：查询 facts.sql（{db}）第 2 行" in explain.stdout.splitlines()


def test_the_query_text_is_part_of_the_run_id(county, kaohe, project):
    db = _sqlite_db(county / "systems.db")
    first = run_sql(kaohe, county, db, "--json").json()["run"]
    project({"facts.sql": "-- 2025年第一季度\n" + QUERY})
    second = run_sql(kaohe, county, db, "--json").json()["run"]
    assert first["id"] != second["id"] and first["facts_sha256"] != second["facts_sha256"]


def test_query_and_files_join_by_unit(county, kaohe, project):
    db = _sqlite_db(county / "systems.db")
    project({"facts.sql": "SELECT code AS unit, revenue AS 财政收入 FROM town_facts WHERE quarter = '2025Q1'",
             "letters.csv": "unit,name,category,信访件数,化解件数\nt1,南桥镇,plain,40,38\nt2,北岭乡,hill,30,21\n"
                            "t3,东湖镇,plain,50,49\n"})
    r = run_sql(kaohe, county, db, "--json", "--facts", county / "letters.csv")
    assert r.exit_code == 0, r.stderr
    assert r.json()["units"] == csv_units(kaohe, county)


@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT * FROM no_such_table", "查询失败"),
    ("SELEC unit FROM town_facts", "查询失败"),
    ("SELECT code AS unit, title AS name, kind AS category, letters AS 信访件数, solved, 'many' AS 财政收入 "
     "FROM town_facts WHERE quarter = '2025Q1'", "facts.sql[result]:1:6 [t1.revenue]"),
], ids=["missing-table", "syntax", "bad-cell"])
def test_query_errors_are_facts_errors(county, kaohe, project, query, expected):
    db = _sqlite_db(county / "systems.db")
    project({"facts.sql": query})
    r = run_sql(kaohe, county, db)
    assert r.exit_code == 2, r.stdout + r.stderr
    assert expected in r.stderr and "Traceback" not in r.stderr


def test_missing_query_file_and_bad_url(county, kaohe):
    r = kaohe("run", county / "county.yaml", "--period", "2025Q1", "--facts-sql", county / "nope.sql",
              "--facts-db", "sqlite:///x.db")
    assert r.exit_code == 2 and "找不到查询文件" in r.stderr
    r = run_sql(kaohe, county, f"notadb://u:{PASSWORD}@h/x")
    assert r.exit_code == 2 and PASSWORD not in r.stderr
    assert "数据库地址无法识别" in r.stderr or "缺少数据库驱动" in r.stderr


def test_masking():
    url = f"postgresql+psycopg://reader:{PASSWORD}@db.example/kaohe?sslmode=require&sslpassword=k3y"
    masked = mask_url(url)
    assert PASSWORD not in masked and "k3y" not in masked
    assert masked.startswith("postgresql+psycopg://reader:***@db.example/kaohe")
    assert scrub(f"failed for {url} with password {PASSWORD}", url).count("***") >= 2
    assert PASSWORD not in scrub(f"x {PASSWORD.replace('-', '%2D')} {PASSWORD}", url)


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"CREATE ROLE reader LOGIN PASSWORD '{PASSWORD}'"))
            conn.execute(text("CREATE TABLE town_facts (code TEXT, title TEXT, kind TEXT, letters INTEGER, "
                              "solved INTEGER, revenue NUMERIC(12, 2), quarter TEXT)"))
            for row in ROWS:
                conn.execute(text("INSERT INTO town_facts VALUES (:a, :b, :c, :d, :e, :f, '2025Q1')"),
                             dict(zip("abcdef", (*row[:5], float(row[5])), strict=True)))
            conn.execute(text("GRANT SELECT ON town_facts TO reader"))
        engine.dispose()
        yield url.replace("postgres@", f"reader:{PASSWORD}@")


def test_postgresql_query_and_the_password_never_shows(county, kaohe, pg_url):
    r = run_sql(kaohe, county, pg_url, "--json", "--report", county / "r.html")
    assert r.exit_code == 0, r.stderr
    assert r.json()["units"] == csv_units(kaohe, county)
    run_id = r.json()["run"]["id"]
    explain = kaohe("explain", run_id, "t1")
    assert "来源：查询 facts.sql（postgresql+psycopg://reader:***@/kaohe?" in explain.stdout
    outputs = [r.stdout, r.stderr, explain.stdout, kaohe("explain", run_id, "t1", "--json").stdout,
               (county / "r.html").read_text(encoding="utf-8")]
    assert all(PASSWORD not in o for o in outputs)
    con = sqlite3.connect(county / "kaohe.db")
    stored = "\n".join(con.iterdump())
    con.close()
    assert PASSWORD not in stored and "reader:***@" in stored


def test_postgresql_errors_do_not_show_the_password(county, kaohe, pg_url, project):
    project({"facts.sql": "SELECT * FROM secret_table"})
    r = run_sql(kaohe, county, pg_url)
    assert r.exit_code == 2 and "查询失败" in r.stderr and "secret_table" in r.stderr
    assert PASSWORD not in r.stderr
    wrong_db = pg_url.replace("/kaohe?", "/nope?")
    r = run_sql(kaohe, county, wrong_db)
    assert r.exit_code == 2 and "查询失败" in r.stderr and PASSWORD not in r.stderr


def test_sources_and_warnings_are_stored_in_postgresql(county, kaohe, pg_url, project):
    """The run's sources, each unit's rows and its data warnings go to PostgreSQL too (COPY)."""
    store_url = pg_url.replace(f"reader:{PASSWORD}@", "postgres@")
    project({"facts.sql": "SELECT code AS unit, revenue AS 财政收入 FROM town_facts",
             "letters.csv": "unit,name,category,信访件数,化解件数,备注\nt1,南桥镇,plain,40,38,x\n"
                            "t2,北岭乡,hill,30,21,\nt3,东湖镇,plain,50,49,\n"})
    r = kaohe("run", county / "county.yaml", "--period", "2025Q1", "--facts", county / "letters.csv",
              "--facts-sql", county / "facts.sql", "--facts-db", pg_url, "--db", store_url, "--json")
    assert r.exit_code == 0, r.stderr
    assert "列 `备注` 不是规则集声明的事实" in r.stderr
    doc = kaohe("explain", r.json()["run"]["id"], "t2", "--db", store_url, "--json").json()
    assert [(s["name"], s["row"], s["db"] is not None) for s in doc["sources"]] == [
        ("facts.sql", 2, True), ("letters.csv", 3, False)]
    assert all(PASSWORD not in (s["db"] or "") for s in doc["sources"])
    again = kaohe("run", county / "county.yaml", "--period", "2025Q1", "--facts", county / "letters.csv",
                  "--facts-sql", county / "facts.sql", "--facts-db", pg_url, "--db", store_url)
    assert "列 `备注` 不是规则集声明的事实" in again.stderr  # re-used: the stored warning is shown again
