"""``kaohe serve``: the browser workspace for rule authors, the appraisal office and the units.

One concept per module:

- :mod:`.config`     the server's settings (:class:`ServeConfig`)
- :mod:`.tables`     the tables it adds to the run database (users, tokens, sessions, audit, uploads)
- :mod:`.users`      accounts: Argon2 password hashes, roles, API tokens (also used by ``kaohe users``)
- :mod:`.sessions`   server-side sessions behind a signed, HttpOnly, SameSite cookie
- :mod:`.auth`       login (slow-down and lockout), the signed-in principal, role and unit checks
- :mod:`.csrf`       the CSRF check of every cookie-authenticated POST
- :mod:`.audit`      who did what, when
- :mod:`.runcache`   stored runs read once and kept (runs are immutable)
- :mod:`.rulesets`   the rulesets folder: safe paths, validation status, atomic saves
- :mod:`.views`      the Jinja environment of the pages (sandboxed, autoescaped), zh/en
- :mod:`.api`        the JSON API (docs/serve.md)
- :mod:`.params`     invalid API parameters as problems (422, like the CLI's `--json` errors)
- :mod:`.pages`      runs, reports, unit cards, explain, analyze, downloads
- :mod:`.publish`    current and superseded runs, publishing (公示), the reason a correction needs
- :mod:`.admin`      users and the audit log (admins)
- :mod:`.authoring`  a ruleset's problems, tests, preview and what-if, live refresh, the editor
- :mod:`.whatif`     the edited ruleset against the stored current run (``kaohe diff RUN --ruleset``)
- :mod:`.uploads`    facts uploads: validated cell by cell, stored when accepted
- :mod:`.app`        the application factory that puts them together
"""

from __future__ import annotations

from kaohe.engine.serve.config import ServeConfig

__all__ = ["ServeConfig", "create_app"]


def create_app(config: ServeConfig):  # type: ignore[no-untyped-def]
    """The ASGI application (imported lazily: FastAPI is only needed by ``kaohe serve``)."""
    from kaohe.engine.serve.app import create_app as factory

    return factory(config)
