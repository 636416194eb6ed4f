"""``kaohe serve`` (the browser workspace) and ``kaohe users`` (its accounts)."""

from __future__ import annotations

import getpass
import ipaddress
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from kaohe.engine.cli.options import DbOpt, JsonOpt, LangOpt, lang_of
from kaohe.engine.cli.output import err, out, print_json, reported
from kaohe.engine.cli.translate import register_help
from kaohe.engine.i18n import Lang, register, text

register(
    {
        "cli.serve.listening": ("考核工作台：http://{host}:{port}/ （规则集目录 {dir}，数据库 {db}）",
                                "kaohe workspace: http://{host}:{port}/ (rulesets {dir}, database {db})"),
        "cli.serve.public": ("警告：--host {host} 使工作台可被其他计算机访问。请只在 HTTPS 反向代理（如 nginx，见 docs/serve.md）之后这样运行，"
                             "不要把明文 HTTP 暴露在网络上。",
                             "warning: --host {host} makes the workspace reachable from other machines. Run it like this only "
                             "behind an HTTPS reverse proxy (e.g. nginx, see docs/serve.md); never expose plain HTTP."),
        "cli.serve.no_users": ("还没有任何用户。先创建管理员：kaohe users add admin --role admin",
                               "there are no users yet. Create an admin first: kaohe users add admin --role admin"),
        "cli.serve.no_dir": ("规则集目录不存在：{dir}", "the rulesets folder does not exist: {dir}"),
        "cli.users.added": ("已添加用户 {name}（{role}{unit}）", "added user {name} ({role}{unit})"),
        "cli.users.removed": ("已删除用户 {name}（其会话与令牌已失效）", "removed user {name} (its sessions and token no longer work)"),
        "cli.users.changed": ("已修改 {name} 的密码（其已登录的会话已退出）", "changed the password of {name} (its sessions were signed out)"),
        "cli.users.prompt": ("{name} 的密码", "password for {name}"),
        "cli.users.repeat": ("再输入一次确认", "Repeat for confirmation"),
        "cli.users.no_stdin": ("--password-stdin：标准输入中没有密码", "--password-stdin: no password on standard input"),
        "cli.users.none": ("还没有用户", "no users yet"),
    }
)

RulesetsArg = Annotated[Path | None, typer.Argument(metavar="RULESETS_DIR",
    help="folder of rulesets to author and run (default: ./rulesets, else the bundled examples)")]


def _default_rulesets() -> Path:
    here = Path("rulesets")
    if here.is_dir():
        return here
    from kaohe.engine.resources import rulesets_dir

    return rulesets_dir()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    rulesets: RulesetsArg = None,
    db: DbOpt = None,
    host: Annotated[str, typer.Option("--host", help="address to bind (default loopback only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port to listen on")] = 8000,
    secret: Annotated[str | None, typer.Option("--secret", envvar="KAOHE_SECRET",
                                               help="cookie-signing secret (default: one kept in the database)")] = None,
    lang: LangOpt = "zh",
) -> None:
    """Start the browser workspace (FastAPI on uvicorn): runs, reports, authoring, uploads, accounts."""
    lg = lang_of(lang)
    folder = rulesets or _default_rulesets()
    with reported(lg):
        if not folder.is_dir():
            err.print(text("cli.serve.no_dir", lg, dir=folder), markup=False)
            raise typer.Exit(1)
        import uvicorn

        from kaohe.engine.serve import ServeConfig, create_app
        from kaohe.engine.serve.tables import open_database
        from kaohe.engine.serve.users import list_users
        from kaohe.engine.store import database_url

        app = create_app(ServeConfig(rulesets_dir=folder.resolve(), db=db, secret=secret))
        if not _is_loopback(host):
            err.print(text("cli.serve.public", lg, host=host), markup=False)
        if not list_users(open_database(db).engine):
            err.print(text("cli.serve.no_users", lg), markup=False)
        out.print(text("cli.serve.listening", lg, host=host, port=port, dir=folder.resolve(), db=database_url(db)),
                  markup=False)
    uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                log_level="warning", server_header=False)


users_app = typer.Typer(help="manage the accounts of the workspace (same database as the runs)",
                        no_args_is_help=True)
RoleOpt = Annotated[str, typer.Option("--role", help="admin | office | unit")]
UnitOpt = Annotated[str | None, typer.Option("--unit", help="the unit id of a unit account")]
StdinOpt = Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input")]


def _password(name: str, from_stdin: bool, lg: Lang) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            err.print(text("cli.users.no_stdin", lg), markup=False)
            raise typer.Exit(2)
        return line
    value: str = typer.prompt(text("cli.users.prompt", lg, name=name), hide_input=True,
                              confirmation_prompt=text("cli.users.repeat", lg), err=True)
    return value


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:{os.getuid() if hasattr(os, 'getuid') else '?'}"


@users_app.command("add")
def users_add(name: str, role: RoleOpt, unit: UnitOpt = None, password_stdin: StdinOpt = False,
              db: DbOpt = None, lang: LangOpt = "zh") -> None:
    """Create an account (the password is asked for, or read with --password-stdin)."""
    from kaohe.engine.serve import audit
    from kaohe.engine.serve.tables import open_database
    from kaohe.engine.serve.users import add_user, check_new_password

    lg = lang_of(lang)
    with reported(lg):
        engine = open_database(db).engine
        password = _password(name, password_stdin, lg)
        check_new_password(password)
        user = add_user(engine, name, role, unit, password)
        audit.record(engine, _actor(), "user_add", user.name, {"role": user.role, "unit": user.unit})
        out.print(text("cli.users.added", lg, name=user.name, role=user.role,
                       unit=f" · {user.unit}" if user.unit else ""), markup=False)


@users_app.command("list")
def users_list(db: DbOpt = None, as_json: JsonOpt = False, lang: LangOpt = "zh") -> None:
    """List the accounts."""
    from rich.table import Table

    from kaohe.engine.serve.tables import open_database
    from kaohe.engine.serve.users import list_users

    lg = lang_of(lang)
    with reported(lg, as_json):
        users = list_users(open_database(db).engine)
    if as_json:
        print_json({"users": [{"name": u.name, "role": u.role, "unit": u.unit} for u in users]})
        return
    if not users:
        out.print(text("cli.users.none", lg), markup=False)
        return
    table = Table("name", "role", "unit")
    for u in users:
        table.add_row(u.name, u.role, u.unit or "")
    out.print(table)


@users_app.command("remove")
def users_remove(name: str, db: DbOpt = None, lang: LangOpt = "zh") -> None:
    """Delete an account; its sessions and API token stop working at once."""
    from kaohe.engine.serve import audit
    from kaohe.engine.serve.tables import open_database
    from kaohe.engine.serve.users import remove_user

    lg = lang_of(lang)
    with reported(lg):
        engine = open_database(db).engine
        remove_user(engine, name)
        audit.record(engine, _actor(), "user_remove", name)
        out.print(text("cli.users.removed", lg, name=name), markup=False)


@users_app.command("passwd")
def users_passwd(name: str, password_stdin: StdinOpt = False, db: DbOpt = None, lang: LangOpt = "zh") -> None:
    """Set a new password (the user's open sessions end)."""
    from kaohe.engine.serve import audit
    from kaohe.engine.serve.tables import open_database
    from kaohe.engine.serve.users import get_user, set_password

    lg = lang_of(lang)
    with reported(lg):
        engine = open_database(db).engine
        get_user(engine, name)
        set_password(engine, name, _password(name, password_stdin, lg))
        audit.record(engine, _actor(), "user_passwd", name)
        out.print(text("cli.users.changed", lg, name=name), markup=False)


@users_app.command("token")
def users_token(name: str, db: DbOpt = None, lang: LangOpt = "zh") -> None:
    """Print a new API token for NAME, alone on stdout (it replaces the user's earlier token)."""
    from kaohe.engine.serve import audit
    from kaohe.engine.serve.tables import open_database
    from kaohe.engine.serve.users import new_token

    lg = lang_of(lang)
    with reported(lg):
        engine = open_database(db).engine
        token = new_token(engine, name)
        audit.record(engine, _actor(), "user_token", name)
    sys.stdout.write(token + "\n")
    sys.stdout.flush()


COMMANDS = {"serve": serve, "users": users_app}

register_help({
    serve: "启动浏览器工作台（FastAPI + uvicorn）：运行、报告、规则编写、上传、账号。",
    "folder of rulesets to author and run (default: ./rulesets, else the bundled examples)":
        "用于编写和运行的规则集文件夹（默认 ./rulesets，没有时用内置示例）",
    "address to bind (default loopback only)": "监听地址（默认只监听本机）",
    "port to listen on": "监听端口",
    "cookie-signing secret (default: one kept in the database)": "签名 Cookie 的密钥（默认使用保存在数据库中的密钥）",
    "manage the accounts of the workspace (same database as the runs)": "管理工作台的账号（与运行结果同一数据库）",
    users_add: "创建账号（交互输入密码，或用 --password-stdin 从标准输入读取）。",
    "admin | office | unit": "角色：admin（管理员）| office（考核办）| unit（单位）",
    "the unit id of a unit account": "单位账号对应的单位编号",
    "read the password from standard input": "从标准输入读取密码",
    users_list: "列出账号。",
    users_remove: "删除账号；其会话和 API 令牌立即失效。",
    users_passwd: "设置新密码（该用户已登录的会话随之结束）。",
    users_token: "为 NAME 生成新的 API 令牌，单独输出到标准输出（替换该用户之前的令牌）。",
})
