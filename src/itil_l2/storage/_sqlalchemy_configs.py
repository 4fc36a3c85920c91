"""The SQLAlchemy adapter's stored configs: one row per entity kind in `itil_configs`.

A mixin of `SqlAlchemySession`. The claim is an insert that does nothing on
a conflict, then a read: on PostgreSQL the insert waits for a concurrent
first writer of the same kind and, once that one commits, finds its row
(so the second writer gets `ConfigMismatch`); on SQLite the write lock
orders the two (the second waits, or fails with `ConcurrencyError`).

A database made by an earlier version (before the table existed) and not
migrated reads and writes as before, with no stored config;
`metadata.create_all(engine)` adds the table (and a host's Alembic
migration, `itil_configs` in `metadata`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from itil_l2.storage._sqlalchemy_errors import translated
from itil_l2.storage._tables import configs, has_table

__all__ = ["ConfigRows"]


class ConfigRows:
    """`load_config` and `claim_config` on the unit of work's connection."""

    def _read(self) -> Connection:  # pragma: no cover - the session's
        raise NotImplementedError

    def _write(self) -> Connection:  # pragma: no cover - the session's
        raise NotImplementedError

    def load_config(self, kind: str) -> str | None:
        """The config text stored for `kind`, or None."""
        with translated(f"read the stored {kind} config"):
            conn = self._read()
            if not has_table(conn, configs):
                return None
            found = conn.execute(select(configs.c.data).where(configs.c.kind == kind)).scalar()
        return None if found is None else str(found)

    def claim_config(self, kind: str, text: str, replace: bool) -> str | None:
        """Store `text` for `kind` unless a config is stored (`replace`: anyway); the stored one.

        None when the database has no `itil_configs` table (nothing is stored).
        """
        with translated(f"store the {kind} config"):
            conn = self._write()
            if not has_table(conn, configs):
                return None  # not migrated: nothing stored, as before
            values = {"kind": kind, "data": text}
            dialect = conn.dialect.name
            if dialect in ("postgresql", "sqlite"):
                module: Any = postgresql if dialect == "postgresql" else sqlite
                statement = module.insert(configs).values(values)
                conn.execute(
                    statement.on_conflict_do_update(index_elements=["kind"], set_={"data": text})
                    if replace
                    else statement.on_conflict_do_nothing()
                )
            else:
                stored = conn.execute(select(configs.c.data).where(configs.c.kind == kind)).first()
                if stored is None:
                    conn.execute(configs.insert().values(values))
                elif replace:
                    conn.execute(update(configs).where(configs.c.kind == kind).values(data=text))
            return str(conn.execute(select(configs.c.data).where(configs.c.kind == kind)).scalar())
