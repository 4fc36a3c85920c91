"""The workflow configs stored with the data: their JSON text, and the check against another.

A config's *data* is every field of its attrs class except the pluggable
policies, which are code (a field typed by a `Protocol`, such as
`permissions`): those are never stored and stay the reader's to give. The
data is stored once per store and entity kind as compact JSON with sorted
keys, so two equal configs give equal text and a comparison is one string
comparison; only when the texts differ are the settings compared one by one
to name them.

A stored text is read back into the config class with the library's cattrs
converter: a setting the text lacks (written before the setting existed)
takes its default, which is what that earlier version did; a setting this
library does not know (written by a newer version) is an `UnknownSchema`.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from itil_l2._core.serialization import converter
from itil_l2.errors import ConfigMismatch, CorruptHistory, UnknownSchema, ValidationError

__all__ = ["ConfigTexts", "data_fields", "mismatch"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
_SHOWN = 120
"""Characters of one setting's value a `ConfigMismatch` message shows (long lists are cut)."""


_FIELDS: dict[type[Any], tuple[attrs.Attribute[Any], ...]] = {}


def data_fields(cls: type[Any]) -> tuple[attrs.Attribute[Any], ...]:
    """The stored fields of a config class: all but the policies (fields typed by a Protocol)."""
    found = _FIELDS.get(cls)
    if found is None:
        attrs.resolve_types(cls)
        found = tuple(f for f in attrs.fields(cls) if not getattr(f.type, "_is_protocol", False))
        _FIELDS[cls] = found
    return found


def _data(config: Any) -> dict[str, Any]:
    cls = type(config)
    if not attrs.has(cls):
        raise ValidationError(f"a stored workflow config must be an attrs class, got {cls!r}")
    return {f.name: _field_data(getattr(config, f.name), f.type) for f in data_fields(cls)}


def _field_data(value: Any, kind: Any) -> Any:
    """A field's unstructured data; a set's members sorted, so one config has one text.

    Two equal frozensets may iterate in different orders (their hash tables
    grew differently), which made an unchanged config read back "not as
    written" now and then.
    """
    data = converter.unstructure(value, kind)
    if isinstance(value, (set, frozenset)):
        return sorted(data, key=_dumps)
    return data


class ConfigTexts:
    """One store's encoder and decoder of configs, caching both (configs are frozen)."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Any, str]] = {}
        self._configs: dict[tuple[type[Any], str], tuple[Any, str]] = {}

    def text(self, config: Any) -> str:
        """The stored form of `config`'s data (cached per config object)."""
        found = self._texts.get(id(config))
        if found is not None and found[0] is config:
            return found[1]
        text = _dumps(_data(config))
        if len(self._texts) > 64:
            self._texts.clear()
        self._texts[id(config)] = (config, text)  # the reference keeps the id from being reused
        return text

    def decoded(self, cls: type[Any], kind: str, text: str) -> tuple[Any, str]:
        """The config a stored text gives (default policies), and its text as written now."""
        key = (cls, text)
        found = self._configs.get(key)
        if found is None:
            config = _structure(cls, kind, text)
            found = (config, self.text(config))
            if len(self._configs) > 64:
                self._configs.clear()
            self._configs[key] = found
        return found


def _structure(cls: type[Any], kind: str, text: str) -> Any:
    where = f"the {kind} config stored with the data"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise CorruptHistory(f"{where} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CorruptHistory(f"{where} is not a JSON object")
    fields = {f.name: f for f in data_fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise UnknownSchema(
            f"{where} has settings this version of itil-l2 does not know: {', '.join(unknown)};"
            " it was written by a newer version"
        )
    try:
        values = {name: converter.structure(data[name], _type(fields[name])) for name in data}
        config = cls(**values)
    except Exception as exc:
        raise CorruptHistory(f"{where} cannot be decoded: {exc!r}") from None
    again = json.loads(_dumps(_data(config)))
    wrong = sorted(name for name in data if again[name] != data[name])
    if wrong:  # e.g. "yes" for a bool: structuring coerced it, so it is not what was written
        raise CorruptHistory(f"{where} cannot be decoded: {', '.join(wrong)} not as written")
    return config


def mismatch(
    cls: type[Any], kind: str, there: str, here: str, advice: str, **against: str
) -> ConfigMismatch:
    """The error naming each setting in which two config texts of `cls` differ."""
    stored, given = json.loads(there), json.loads(here)
    differences = [
        (f.name, _shown(stored.get(f.name)), _shown(given.get(f.name)))
        for f in data_fields(cls)
        if stored.get(f.name) != given.get(f.name)
    ]
    return ConfigMismatch(kind, differences, advice, **against)


def _type(field: attrs.Attribute[Any]) -> Any:
    return field.type


def _shown(value: Any) -> str:
    text = _dumps(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
