"""A throw-away workspace for the ``kaohe serve`` tests: a rulesets folder, a stored run, users.

Unit names and ruleset labels carry HTML/JS payloads on purpose, so every
page rendered in these tests is also an XSS check (see test_serve_security).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

XSS = '<script>alert("x")</script>'
XSS_ATTR = '"><img src=x onerror=alert(1)>'
PASSWORD = "correct horse 1"

RULESET = f"""
kaohe: 1
id: court
name: 法院考核 {XSS}
period: quarter
categories:
  criminal: {{label: '刑事庭 {XSS_ATTR}'}}
  civil: {{label: 民事庭}}
facts:
  received: {{label: 收案数, type: integer, min: 0}}
  closed: {{label: 结案数, type: integer, min: 0}}
  expert: {{label: 专家评分, type: number, min: 0, max: 100}}
  integrity_violations: {{label: 违纪违法件数, type: integer, min: 0, required: false, default: 0}}
indicators:
  closure_rate:
    label: '结案率 {XSS}'
    formula: closed / received
    score: {{linear: {{worst: 0.60, best: 0.95}}}}
    lights: {{green: ">= 0.85", yellow: ">= 0.75"}}
  expert_score:
    label: 专家评分
    formula: expert
    score: {{linear: {{worst: 60, best: 90}}}}
    lights: {{green: ">= 75", yellow: ">= 60"}}
weights:
  default: {{closure_rate: 60, expert_score: 40}}
rules:
  - id: integrity_veto
    label: '一票否决 {XSS}'
    when: integrity_violations > 0
    then: {{cap_grade: 不称职, note: '违纪 {XSS}'}}
grades:
  - {{name: 优秀, min: 90}}
  - {{name: 称职, min: 70}}
  - {{name: 不称职}}
tests:
  - name: 结案率高评为优秀
    category: civil
    facts: {{received: 100, closed: 98, expert: 90}}
    expect: {{grade: 优秀}}
  - name: 违纪一票否决
    category: civil
    facts: {{received: 100, closed: 98, expert: 90, integrity_violations: 1}}
    expect: {{grade: 不称职, fired: [integrity_veto]}}
"""

FACTS = f"""unit,name,category,received,closed,expert,integrity_violations
c01,刑一庭 {XSS},criminal,100,95,88,0
c02,刑二庭,criminal,100,80,70,0
c03,刑三庭,criminal,100,70,65,1
d01,民一庭 {XSS_ATTR},civil,100,90,80,0
d02,民二庭,civil,100,60,50,0
"""


@dataclass
class Workspace:
    """The folder, database URL, stored run and application of one test."""

    root: Path
    rulesets: Path
    db: str
    run_id: str
    make_client: Callable[[], TestClient]

    def client(self, user: str | None = None) -> TestClient:
        """A client, signed in as ``user`` when given."""
        c = self.make_client()
        if user is not None:
            r = c.post("/login", data={"username": user, "password": PASSWORD})
            assert r.status_code == 303, r.text
            c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
        return c


def cheap_hashes() -> None:
    """Argon2 with the smallest parameters: the tests hash many passwords on a busy 2-core machine.

    Still the real argon2id code path; test_serve_users checks the production parameters.
    """
    from argon2 import PasswordHasher

    from kaohe.engine.serve import users

    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


_PRISTINE: dict[str, Path] = {}


def _pristine() -> Path:
    """The folder and database built once per test process (copied for each test)."""
    from kaohe.engine.run import run
    from kaohe.engine.serve.tables import open_database
    from kaohe.engine.serve.users import add_user

    if "root" in _PRISTINE:
        return _PRISTINE["root"]
    root = Path(tempfile.mkdtemp(prefix="kaohe-serve-ws-"))
    rulesets = root / "rulesets"
    (rulesets / "court").mkdir(parents=True)
    (rulesets / "court" / "court.yaml").write_text(RULESET.lstrip(), encoding="utf-8")
    facts = root / "2025Q1.csv"
    facts.write_text(FACTS, encoding="utf-8")
    db = f"sqlite:///{root / 'kaohe.db'}"
    run(rulesets / "court" / "court.yaml", facts, period="2025Q1", db=db)
    engine = open_database(db).engine
    for name, role, unit in (("admin", "admin", None), ("office", "office", None),
                             ("unit-a", "unit", "c01"), ("unit-b", "unit", "c02")):
        add_user(engine, name, role, unit, PASSWORD)
    engine.dispose()
    _PRISTINE["root"] = root
    return root


def build(tmp_path: Path, **config: object) -> Workspace:
    """A copy of the pristine workspace: one stored run of 2025Q1, admin/office/unit accounts."""
    from kaohe.engine.serve import ServeConfig, create_app
    from kaohe.engine.store import Store

    cheap_hashes()
    shutil.copytree(_pristine(), tmp_path, dirs_exist_ok=True)
    rulesets = tmp_path / "rulesets"
    db = f"sqlite:///{tmp_path / 'kaohe.db'}"
    run_id = Store(db).list_runs()[0].id
    settings = {"login_delay": 0.0, "login_delay_max": 0.0, **config}

    app = create_app(ServeConfig(rulesets_dir=rulesets, db=db, secret="test-secret", **settings))  # type: ignore[arg-type]

    def make_client() -> TestClient:
        return TestClient(app, follow_redirects=False)

    return Workspace(tmp_path, rulesets, db, run_id, make_client)
