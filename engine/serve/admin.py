"""Admins' pages: accounts (list, add, remove) and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kaohe.engine.i18n import register
from kaohe.engine.serve import audit
from kaohe.engine.serve.api import signed_in
from kaohe.engine.serve.auth import require
from kaohe.engine.serve.login import client_ip
from kaohe.engine.serve.state import state
from kaohe.engine.serve.users import ROLES, add_user, list_users, remove_user
from kaohe.engine.serve.views import render

register(
    {
        "serve.users.title": ("用户", "Users"),
        "serve.users.name": ("用户名", "Name"),
        "serve.users.role": ("角色", "Role"),
        "serve.users.unit": ("所属单位", "Unit"),
        "serve.users.password": ("初始密码", "Initial password"),
        "serve.users.add": ("添加用户", "Add user"),
        "serve.users.remove": ("删除", "Remove"),
        "serve.users.cli": ("也可以在服务器上用 kaohe users 命令管理用户。", "Users can also be managed with kaohe users on the server."),
        "serve.audit.title": ("审计日志", "Audit log"),
        "serve.audit.at": ("时间（UTC）", "Time (UTC)"),
        "serve.audit.actor": ("操作人", "Who"),
        "serve.audit.action": ("操作", "Action"),
        "serve.audit.target": ("对象", "Object"),
        "serve.audit.detail": ("详情", "Details"),
        "serve.audit.ip": ("地址", "Address"),
    }
)

router = APIRouter()


@router.get("/admin/users")
def users_page(request: Request) -> Response:
    """Every account."""
    require(signed_in(request), "admin")
    return render(request, "users.html.j2", users=list_users(state(request).engine), roles=ROLES)


@router.post("/admin/users")
async def add(request: Request) -> Response:
    """Create an account from the form."""
    p = signed_in(request)
    require(p, "admin")
    st = state(request)
    form = await request.form()
    name = str(form.get("name") or "").strip()
    role = str(form.get("role") or "")
    unit = str(form.get("unit") or "").strip() or None
    user = add_user(st.engine, name, role, unit, str(form.get("password") or ""))
    audit.record(st.engine, p.user.name, "user_add", user.name, {"role": user.role, "unit": user.unit},
                 ip=client_ip(request))
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{name}/remove")
def remove(request: Request, name: str) -> Response:
    """Delete an account (its sessions and token stop working at once)."""
    p = signed_in(request)
    require(p, "admin")
    st = state(request)
    remove_user(st.engine, name)
    audit.record(st.engine, p.user.name, "user_remove", name, {}, ip=client_ip(request))
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/audit")
def audit_page(request: Request, action: str = "") -> Response:
    """The latest audited actions."""
    require(signed_in(request), "admin")
    return render(request, "audit.html.j2", entries=audit.entries(state(request).engine, action=action or None),
                  actions=audit.ACTIONS, action=action)
