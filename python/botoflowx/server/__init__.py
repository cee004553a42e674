"""The embedded SWF-compatible server: SWF's JSON protocol over HTTP, state in SQLite."""

from botoflowx.server._app import EmbeddedServer, default_database_path

__all__ = ["EmbeddedServer", "default_database_path"]
