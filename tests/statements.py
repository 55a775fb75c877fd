"""The statements the app's request pool sends while a test's requests run."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event


@contextmanager
def sent_statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL of each statement, in order, as the request pool sends it (the driver's
    own pool, on PostgreSQL, is not counted)."""
    seen: list[str] = []

    def on_execute(*args: Any) -> None:
        seen.append(args[2])

    engine = app.state.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
