"""The ``kaohe`` command line."""

from kaohe.engine.cli.app import app, main

__all__ = ["app", "main"]
