"""Facts from a business system or a data platform: a SQL query on any SQLAlchemy database.

``kaohe run --facts-sql facts.sql --facts-db URL`` runs the query (one row per
unit, columns named by fact id or label, like a facts file) and validates the
rows like any file.  SQLAlchemy is already how kaohe stores runs, so every
database it speaks (PostgreSQL, SQLite, MySQL, Oracle, 达梦 through their
dialects) works without new code.

The URL carries credentials.  They never reach a stored run, a report or a
message: the URL kept and shown is masked (:func:`mask_url`), and a driver's
error text is scrubbed of the password before it is shown (:func:`scrub`).
The query text is hashed into the run id, so a changed query is a new run.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from kaohe.engine.errors import FactsError, Hint, Location, Problem
from kaohe.engine.facts.provenance import Origin
from kaohe.engine.facts.readers import RawTable, decode
from kaohe.engine.i18n import register

SECRET_KEYS = ("password", "passwd", "pwd", "secret", "token", "key", "sslpassword")

register(
    {
        "sql.not_found": ("找不到查询文件：{path}", "query file not found: {path}"),
        "sql.bad_url": ("数据库地址无法识别：{url}", "cannot read the database URL: {url}"),
        "sql.driver": ("缺少数据库驱动：{error}", "the database driver is missing: {error}"),
        "sql.failed": ("查询失败（{db}）：{error}", "the query failed ({db}): {error}"),
        "sql.no_rows": ("查询没有返回列（应返回每个单位一行）", "the query returned no columns (one row per unit expected)"),
        "hint.sql_url": ("地址形如 postgresql+psycopg://用户@主机/库 或 sqlite:///文件.db；密码可放在 KAOHE_FACTS_DB 环境变量中",
                         "a URL like postgresql+psycopg://user@host/db or sqlite:///file.db; keep the password in "
                         "the KAOHE_FACTS_DB environment variable"),
        "hint.sql_driver": ("PostgreSQL：pip install 'kaohe[postgres]'；其他数据库请安装对应的 SQLAlchemy 驱动",
                            "PostgreSQL: pip install 'kaohe[postgres]'; for other databases install their "
                            "SQLAlchemy driver"),
    }
)


def mask_url(url: str) -> str:
    """``postgresql://kaohe:s3cret@db/x?password=…`` -> ``postgresql://kaohe:***@db/x?password=***``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "***"
    query = {k: ("***" if _secret(k) else v) for k, v in parsed.query.items()}
    masked = parsed.set(query=query)
    return masked.render_as_string(hide_password=True)


def _secret(key: str) -> bool:
    return any(s in key.lower() for s in SECRET_KEYS)


def secrets_of(url: str) -> list[str]:
    """The secret parts of ``url`` (the password, secret query values), raw and %-encoded."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    found: list[str] = []
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return [url]
    if parsed.password:
        found.append(str(parsed.password))
    for k, v in parsed.query.items():
        if _secret(k):
            found.extend([v] if isinstance(v, str) else list(v))
    out: list[str] = []
    for s in found:
        out.extend({s, quote(s, safe=""), unquote(s)})
    return sorted((s for s in out if s), key=len, reverse=True)


def scrub(message: str, url: str) -> str:
    """``message`` with every secret of ``url`` replaced by ``***`` (the whole URL masked too)."""
    message = message.replace(url, mask_url(url))
    for secret in secrets_of(url):
        message = message.replace(secret, "***")
    return message


def read_query(query: Path, url: str) -> tuple[RawTable, Origin]:
    """Run the query file on ``url``; the rows as a raw table, and the source (URL masked, query hashed)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    where = Location(str(query))
    masked = mask_url(url)
    try:
        sql = decode(query.read_bytes())
    except FileNotFoundError:
        raise FactsError(Problem("sql.not_found", {"path": str(query)}, where)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise FactsError(Problem("facts.unreadable", {"error": str(e)}, where)) from None
    try:
        engine = create_engine(url)
    except (ArgumentError, ValueError):
        raise FactsError(Problem("sql.bad_url", {"url": masked}, where, Hint("hint.sql_url"))) from None
    except ImportError as e:
        raise FactsError(Problem("sql.driver", {"error": scrub(str(e), url)}, where, Hint("hint.sql_driver"))) from None
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql))
            if not result.returns_rows:
                raise FactsError(Problem("sql.no_rows", {}, where))
            headers = [str(k) for k in result.keys()]  # noqa: SIM118 (a Result is not a dict)
            rows = [(i, [_cell(v) for v in row]) for i, row in enumerate(result, start=1)]
    except SQLAlchemyError as e:
        detail = str(getattr(e, "orig", None) or e).strip().splitlines()
        error = scrub(" ".join(line.strip() for line in detail[:3]), url)
        raise FactsError(Problem("sql.failed", {"db": masked, "error": error[:400]}, where)) from None
    except ImportError as e:
        raise FactsError(Problem("sql.driver", {"error": scrub(str(e), url)}, where, Hint("hint.sql_driver"))) from None
    finally:
        engine.dispose()
    raw = RawTable(f"{query}[result]", headers, rows, header_line=0)
    return raw, Origin(str(query), None, masked, sha256=hashlib.sha256(sql.encode()).hexdigest())


def _cell(value: Any) -> Any:
    """Database values as a facts file would hold them (exact decimals as numbers, dates as text)."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
