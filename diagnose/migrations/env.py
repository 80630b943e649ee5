"""Alembic environment: migrate the connection diagnose hands over (online mode only).

``diagnose.store.upgrade`` passes its open connection in
``config.attributes["connection"]``, inside a transaction it owns; run by hand
(``alembic -c diagnose/migrations/alembic.ini upgrade head``) it opens the configured
database itself.
"""
from __future__ import annotations

from alembic import context

from diagnose.store import Base


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover - SQL scripts are not part of the workflow
    raise SystemExit("diagnose migrations run online only: use `diagnose db upgrade`")

_connection = context.config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:  # pragma: no cover - by-hand use of the alembic command
    from diagnose.store import make_engine

    with make_engine(migrate=False).begin() as _conn:
        _run(_conn)
