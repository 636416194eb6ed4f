"""The application factory: routers, the sign-in gate, error pages, security headers.

Every route except the sign-in form, the language switch and the static files
passes :func:`gate`: a signed-in user (cookie or Bearer token) and, for a
cookie-authenticated POST, the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from kaohe import __version__
from kaohe.engine.errors import KaoheError
from kaohe.engine.serve import api, login
from kaohe.engine.serve.auth import Forbidden, NotFound, NotSignedIn, principal
from kaohe.engine.serve.config import ServeConfig
from kaohe.engine.serve.csrf import check_csrf
from kaohe.engine.serve.runcache import RunCache
from kaohe.engine.serve.sessions import Sessions, server_secret
from kaohe.engine.serve.state import ServeState
from kaohe.engine.serve.tables import open_database
from kaohe.engine.serve.views import render

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


async def gate(request: Request) -> None:
    """Sign-in and CSRF check of every protected route; the principal goes to ``request.state``."""
    p = principal(request)
    request.state.principal = p
    await check_csrf(request, p)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, code: str) -> Response:
    if _is_api(request):
        return JSONResponse({"error": {"status": status, "message": code}}, status_code=status)
    return render(request, "error.html.j2", status=status, code=code, problems=[])


def create_app(config: ServeConfig) -> FastAPI:
    """A ready application for ``config`` (the database is opened and its tables created)."""
    from kaohe.engine.resources import templates_dir
    from kaohe.engine.serve import admin, authoring, pages, publish, uploads, whatif

    store = open_database(config.db)
    secret = server_secret(store.engine, config.secret)
    app = FastAPI(title="kaohe", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.kaohe = ServeState(config, store.engine, Sessions(store.engine, secret, config.session_hours),
                                 RunCache(store, config.cache_runs))
    static = {p.name: p for p in (templates_dir() / "serve" / "static").iterdir() if p.suffix in STATIC_TYPES}

    @app.get("/static/{name}")
    def static_file(name: str) -> Response:
        """The workspace's own CSS and JavaScript (a fixed list of packaged files; no paths)."""
        path = static.get(name)
        if path is None:
            raise NotFound
        return Response(path.read_bytes(), media_type=STATIC_TYPES[path.suffix],
                        headers={"Cache-Control": "public, max-age=300"})

    app.include_router(login.router)
    for module in (api, pages, publish, authoring, whatif, uploads, admin):
        app.include_router(module.router, dependencies=[Depends(gate)])

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if _is_api(request) or request.method != "GET":
            return JSONResponse({"error": {"status": 401, "message": "sign in first"}}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return login.login_redirect(request)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc: Forbidden) -> Response:
        csrf = request.method not in ("GET", "HEAD")
        return _error(request, 403, "error.403_csrf" if csrf else "error.403")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound) -> Response:
        return _error(request, 404, "error.404")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return _error(request, 404, "error.404")
        return JSONResponse({"error": {"status": exc.status_code, "message": str(exc.detail)}},
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):  # 422 with problems, like the CLI's --json errors (docs/serve.md)
            from kaohe.engine.serve.params import parameter_error

            return api.problems_response(parameter_error(exc.errors()), request)
        return _error(request, 404, "error.404")  # a page with a mangled address: as if it did not exist

    @app.exception_handler(KaoheError)
    async def kaohe_error(request: Request, exc: KaoheError) -> Response:
        if _is_api(request):
            return api.problems_response(exc, request)
        from kaohe.engine.serve.views import lang_of

        lang = lang_of(request)
        return render(request, "error.html.j2", status=422, code=None,
                      problems=[p.as_dict(lang) for p in exc.problems])

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
