"""How a unit of work uses the configs stored with the data: read with them, check writes.

A mixin of `StoreUnitOfWork`, apart so the store's module stays small. Per
unit of work, each entity kind's config is looked up once for reading and
checked once for writing (then only compared, as text, per entity). A stored
config seen committed is kept by the store for its later units of work,
except under a host's transaction (a joined SQLAlchemy store), where what a
unit of work sees may still be rolled back by the host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from itil_l2._core.entity import Entity
from itil_l2.storage._kinds import AggregateKind
from itil_l2.storage._settings import mismatch
from itil_l2.storage.ports import StorageSession

if TYPE_CHECKING:
    from itil_l2.storage._store import Store

__all__ = ["ConfigChecks", "config_class"]


class ConfigChecks:
    """The config side of a unit of work (see the module docstring)."""

    _store: Store
    _configs: dict[str, Any]
    _claimed: dict[str, str]
    _held: set[str]

    def _session(self) -> StorageSession:  # pragma: no cover - the unit of work's
        raise NotImplementedError

    def _stored_text(self, kind: AggregateKind[Any]) -> str | None:
        """The config text stored for `kind` as this unit of work sees it (None: none)."""
        store = self._store
        text = store._stored_configs.get(kind.name)
        if text is not None:
            return text
        load = getattr(self._session(), "load_config", None)
        text = None if load is None else load(kind.name)
        if text is None:
            return None
        text = store._config_texts.decoded(config_class(kind), kind.name, text)[1]
        if kind.name not in self._claimed and not getattr(store.backend, "joined", False):
            store._stored_configs[kind.name] = text  # committed: no claim of ours is in it
        return text

    def _config(self, kind: AggregateKind[Any]) -> Any:
        """The config `kind` is replayed with here: the store's, checked, or the stored one."""
        name = kind.name
        if name in self._configs:
            return self._configs[name]
        store = self._store
        given = store.configs.get(kind.cls)
        config = given
        if not store.replace_configs:
            stored = self._stored_text(kind)
            if stored is not None and given is None:
                config = store._config_texts.decoded(config_class(kind), name, stored)[0]
            elif stored is not None and stored != (here := store._config_texts.text(given)):
                raise mismatch(
                    config_class(kind),
                    name,
                    stored,
                    here,
                    f"Open the store without a config for {kind.cls.__name__} to read with"
                    " the stored one; replace_configs=True reads with yours and stores it at"
                    f" the next write (every stored {name} must replay under it)",
                )
        self._configs[name] = config
        return config

    def _claim(self, kind: AggregateKind[Any], entity: Entity[Any]) -> None:
        """Check `entity`'s config against the store's, storing it with the kind's first write.

        Inside the write transaction: the first writer of a kind stores its
        config, and a concurrent one with another config then finds it stored.
        """
        store = self._store
        texts = store._config_texts
        here = texts.text(entity.config)
        name = kind.name
        claimed = self._claimed.get(name)
        if claimed is not None:
            if claimed != here:
                raise mismatch(config_class(kind), name, claimed, here, _advice(kind, entity))
            return
        given = store.configs.get(kind.cls)
        if given is not None and (there := texts.text(given)) != here:
            raise mismatch(
                config_class(kind),
                name,
                there,
                here,
                f"{entity.id!r} was made with another config than the store's; make it with"
                f" the store's configs[{kind.cls.__name__}]",
                against="the store's own",
            )
        claim = getattr(self._session(), "claim_config", None)
        stored = None if claim is None else claim(name, here, store.replace_configs)
        if stored is not None:  # None: this adapter (or database) stores no config
            there = texts.decoded(config_class(kind), name, stored)[1]
            if there != here:
                raise mismatch(config_class(kind), name, there, here, _advice(kind, entity))
            self._held.add(name)
        self._claimed[name] = here


def _advice(kind: AggregateKind[Any], entity: Entity[Any]) -> str:
    cls = kind.cls.__name__
    return (
        f"{entity.id!r} is not written: make it with the stored config"
        f" (store.stored_config({cls})), or open the store with replace_configs=True to store"
        f" yours instead (every stored {kind.name} must replay under it)"
    )


def config_class(kind: AggregateKind[Any]) -> type[Any]:
    """The config class of an entity kind: the class of its default config."""
    return type(kind.cls._DEFAULT)
