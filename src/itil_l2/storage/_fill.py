"""Filling the views of rows written before views were stored (`Store.fill_views`)."""

from __future__ import annotations

from itil_l2.storage._kinds import KINDS
from itil_l2.storage._store import Store, _Repo

__all__ = ["fill_views"]


def fill_views(store: Store) -> int:
    """Store the view of every stored entity whose row has none; how many were filled.

    The adapter's session offers `unviewed()` (the kinds and tenants with such
    rows) and `set_view(kind, tenant, head)`. Each entity is loaded through the
    repository, so its history is checked and replayed as `get` does.
    """
    probe = store.backend.session()
    try:
        pairs = list(probe.unviewed())  # type: ignore[attr-defined]
    finally:
        probe.close()
    filled = 0
    for name, tenant in pairs:
        kind = KINDS.get(name)
        if kind is None or not kind.is_entity:
            continue
        with store.unit_of_work(tenant or None) as uow:
            session = uow._session()
            for item in _Repo(uow, kind).find():
                filled += session.set_view(name, tenant, kind.index(item))  # type: ignore[attr-defined]
            uow.commit()
    return filled
