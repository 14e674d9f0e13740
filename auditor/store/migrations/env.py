"""Alembic environment: migrates on the connection that `auditor.store` passes in.

There is no alembic.ini: `auditor.store._migrate` builds the Config in code, points
`script_location` here through importlib.resources (so an installed wheel works) and hands
over a connection already inside a locked transaction.
"""

from __future__ import annotations

from alembic import context

from auditor.store.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through auditor.store.upgrade(url), not the alembic CLI")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
