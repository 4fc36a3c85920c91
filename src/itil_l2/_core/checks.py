"""attrs validators that raise the library's `ValidationError` instead of bare ones.

The library's limits on values are defined here, once, and every entry point
checks them: `MAX_ID_LENGTH` and the characters refused in identifiers and in
text (`identifier`, `text`), `MAX_JSON_DEPTH` and `MAX_JSON_INT` for JSON
values (`json_safe`). Whatever passes fits every storage adapter's columns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, NoReturn, TypeVar

import attrs

from itil_l2.errors import ValidationError

MAX_ID_LENGTH = 200
"""The most characters an identifier may have (the width of the storage key columns).

Identifiers are entity ids, tenants, support group names, categories, CI
references and names, link and other references, assignees and actor ids:
non-blank strings of at most this many characters, none of them a control
character (Unicode category Cc, NUL included) or a lone surrogate. Other text
(titles, descriptions, notes) has no length limit, but holds no NUL and no
lone surrogate either: no database text column stores them.
"""

_NOT_IN_ID = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""What no identifier holds: the control characters (category Cc), lone surrogates."""
_NOT_IN_TEXT = re.compile(r"[\x00\ud800-\udfff]")
"""What no text holds: NUL, lone surrogates (neither is storable text)."""


def _shown(value: object) -> str:
    """`value` for an error message, cut short when it is long."""
    shown = repr(value)
    return shown if len(shown) <= 60 else f"{shown[:50]}... ({len(shown)} characters)"


def text_fault(value: object) -> str | None:
    """Why `value` is not text (a string without NUL or lone surrogates), or None."""
    if not isinstance(value, str):
        return "must be a string"
    if not value.isascii() or "\x00" in value:
        found = _NOT_IN_TEXT.search(value)
        if found is not None:
            return f"must not hold {found.group()!r} ({_kind(found.group())})"
    return None


def id_fault(value: object) -> str | None:
    """Why `value` is not an identifier (see `MAX_ID_LENGTH`), or None when it is one."""
    if not isinstance(value, str) or not value.strip():
        return "must be a non-blank string"
    if len(value) > MAX_ID_LENGTH:
        return f"must be at most {MAX_ID_LENGTH} characters long, not {len(value):,}"
    if value.isprintable():  # the common case, fast: no control character, no surrogate
        return None
    found = _NOT_IN_ID.search(value)
    if found is not None:
        return f"must not hold {found.group()!r} ({_kind(found.group())})"
    return None


def _kind(char: str) -> str:
    return "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"


def _refuse(name: str, fault: str, value: object) -> NoReturn:
    raise ValidationError(f"{name} {fault}, got {_shown(value)}")


def check_identifier(value: object, name: str) -> str:
    """Return `value` if it is an identifier (see `MAX_ID_LENGTH`), else `ValidationError`."""
    fault = id_fault(value)
    if fault is not None:
        _refuse(name, fault, value)
    return value  # type: ignore[return-value]  # a str: id_fault said so


def check_optional_identifier(value: object, name: str) -> str | None:
    """None, or an identifier."""
    return None if value is None else check_identifier(value, name)


def check_identifiers(value: object, name: str) -> tuple[str, ...]:
    """An iterable of identifiers (not a bare string), as a tuple."""
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise ValidationError(f"{name} must be an iterable of strings, not {_shown(value)}")
    items = tuple(value)
    for item in items:
        check_identifier(item, name)
    return items


def identifier(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An identifier: non-blank, at most `MAX_ID_LENGTH` characters, no control character."""
    fault = id_fault(value)
    if fault is not None:
        _refuse(attribute.name, fault, value)


def optional_identifier(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """None or an identifier."""
    if value is not None:
        identifier(_inst, attribute, value)


def identifiers(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A tuple of identifiers."""
    if not isinstance(value, tuple):
        raise ValidationError(f"{attribute.name} must be a tuple of identifiers")
    for item in value:
        identifier(_inst, attribute, item)


def string(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Text that may be blank: a string without NUL or lone surrogates."""
    fault = text_fault(value)
    if fault is not None:
        _refuse(attribute.name, fault, value)


def text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A non-blank string without NUL or lone surrogates (any length)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{attribute.name} must be a non-blank string, got {_shown(value)}")
    if not value.isascii() or "\x00" in value:
        string(_inst, attribute, value)


def optional_text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """None or a non-blank string."""
    if value is not None:
        text(_inst, attribute, value)


def texts(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A tuple of non-blank strings."""
    if not isinstance(value, tuple) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError(f"{attribute.name} must be a tuple of non-blank strings")
    for item in value:
        if not item.isascii() or "\x00" in item:
            string(_inst, attribute, item)


def instance(kind: type[Any]) -> Any:
    """A validator demanding an instance of `kind` (a `ValidationError` otherwise)."""

    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise ValidationError(f"{attribute.name} must be a {kind.__name__}, got {value!r}")

    return check


def optional_instance(kind: type[Any]) -> Any:
    """A validator demanding None or an instance of `kind`."""
    inner = instance(kind)

    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            inner(inst, attribute, value)

    return check


def member(enum: type[Enum]) -> Any:
    """A validator demanding a member of `enum`."""
    return instance(enum)


def optional_member(enum: type[Enum]) -> Any:
    """A validator demanding None or a member of `enum`."""
    return optional_instance(enum)


def json_mapping(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A JSON-safe mapping with string keys (see `json_safe` for the bounds)."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"{attribute.name} must be a mapping with string keys")
    json_safe(value, attribute.name)


_PLAIN = frozenset({str, bool, type(None)})
"""Exact types that are JSON-safe as they are (checked first: most values are these)."""

MAX_JSON_DEPTH = 32
"""How deeply JSON values (ticket and CI attributes) may nest: lists and objects in lists..."""
MAX_JSON_INT = 2**63 - 1
"""The largest magnitude of a whole number in JSON values: what a 64-bit integer holds."""


def json_safe(value: object, where: str = "attributes", depth: int = 0) -> None:
    """Refuse anything that would not survive a JSON round trip unchanged.

    Values may nest `MAX_JSON_DEPTH` levels deep, whole numbers lie within
    ±`MAX_JSON_INT`, and strings (keys too) hold no lone surrogate and no NUL,
    which no database stores (PostgreSQL's JSON functions refuse an escaped
    NUL); beyond that a `ValidationError`, never a recursion, conversion or
    encoding error later, when the value is stored.
    """
    if type(value) in _PLAIN:
        if type(value) is str and (not value.isascii() or "\x00" in value):
            _json_string(value, where)
        return
    if _scalar(value, where):
        return
    if depth >= MAX_JSON_DEPTH and isinstance(value, (list, tuple, Mapping)):
        raise ValidationError(f"{where}: nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if type(item) not in _PLAIN:  # the path is built only for what needs a look
                json_safe(item, f"{where}[{i}]", depth + 1)
            elif type(item) is str and (not item.isascii() or "\x00" in item):
                _json_string(item, where)
    elif isinstance(value, Mapping):
        _json_object(value, where, depth)
    else:
        raise ValidationError(f"{where}: {type(value).__name__} is not JSON-safe")


def _json_object(value: Mapping[Any, Any], where: str, depth: int) -> None:
    for key, item in value.items():
        if not isinstance(key, str):
            raise ValidationError(f"{where}: keys must be strings, got {key!r}")
        if not key.isascii() or "\x00" in key:
            _json_string(key, where)
        if type(item) not in _PLAIN:
            json_safe(item, f"{where}.{key}", depth + 1)
        elif type(item) is str and (not item.isascii() or "\x00" in item):
            _json_string(item, where)


def _json_string(value: str, where: str) -> None:
    """Refuse a lone surrogate or NUL in a JSON string.

    JSON could escape NUL, but PostgreSQL's JSON functions refuse an escaped
    NUL anywhere in a document, so a view holding one could not be filtered (or
    indexed) there: NUL is refused here as in every other text.
    """
    found = _UNSTORABLE.search(value)
    if found is not None:
        what = "NUL" if found.group() == "\x00" else "a lone surrogate"
        raise ValidationError(f"{where}: {found.group()!r} is {what}, not text")


_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _scalar(value: object, where: str) -> bool:
    """True for a JSON-safe number, string, bool or None; an unsafe number is refused."""
    if isinstance(value, str):
        if not value.isascii() or "\x00" in value:
            _json_string(value, where)
        return True
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        if -MAX_JSON_INT <= value <= MAX_JSON_INT:
            return True
        raise ValidationError(f"{where}: whole numbers must lie within ±(2**63 - 1)")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{where}: {value!r} is not a finite number")
        return True
    return False


def frozen_json(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate and deep-copy a JSON-safe mapping (lists become lists, never tuples)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("attributes must be a mapping with string keys")
    json_safe(value)
    return _copy(value)  # type: ignore[no-any-return]


def _read_only(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise TypeError("read-only: change it with a trigger (or a copy: dict(value), list(value))")


class FrozenDict(dict[str, Any]):
    """A read-only dict: JSON-serialisable like any dict, but refuses every change."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        return (FrozenDict, (dict(self),))


class FrozenList(list[Any]):
    """A read-only list, equal to the list it holds (a stored event's; `frozen` makes tuples)."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _read_only
    append = extend = insert = pop = remove = clear = sort = reverse = _read_only

    def __reduce__(self) -> tuple[type[FrozenList], tuple[list[Any]]]:
        return (FrozenList, (list(self),))


def frozen(value: Any) -> Any:
    """A deep read-only copy of a JSON value: `FrozenDict`s, and lists as tuples.

    An entity's attributes are frozen, so nothing can change them but an
    event, and they never share a list or a dict with the history.
    """
    if type(value) in _PLAIN or type(value) is float:
        return value
    if type(value) is dict and not value:  # most tickets' attributes: no ABC check needed
        return FrozenDict()
    if isinstance(value, Mapping):
        return FrozenDict({k: frozen(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    return value


def thawed(value: Any) -> Any:
    """Plain JSON again (dicts and lists) from a `frozen` view."""
    if type(value) in _PLAIN or type(value) is float:
        return value
    if isinstance(value, Mapping):
        return {k: thawed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thawed(v) for v in value]
    return value


def _copy(value: Any) -> Any:
    if type(value) in _PLAIN or type(value) is float:
        return value
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


def check_string(value: object, name: str) -> str:
    """Return `value` if it is text that may be blank (no NUL), else `ValidationError`."""
    fault = text_fault(value)
    if fault is not None:
        _refuse(name, fault, value)
    return value  # type: ignore[return-value]  # a str: text_fault said so


def check_text(value: object, name: str) -> str:
    """Return `value` if it is a non-blank string without NUL, else raise `ValidationError`."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-blank string, got {_shown(value)}")
    if not value.isascii() or "\x00" in value:
        check_string(value, name)
    return value


def check_optional_text(value: object, name: str) -> str | None:
    """None, or a non-blank string."""
    return None if value is None else check_text(value, name)


def check_texts(value: object, name: str) -> tuple[str, ...]:
    """An iterable of non-blank strings (not a bare string), as a tuple."""
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise ValidationError(f"{name} must be an iterable of strings, not {value!r}")
    items = tuple(value)
    for item in items:
        check_text(item, name)
    return items


T = TypeVar("T")


def check_instance(value: object, kind: type[T], name: str) -> T:
    """Return `value` if it is a `kind`, else raise `ValidationError`."""
    if not isinstance(value, kind):
        raise ValidationError(f"{name} must be a {kind.__name__}, got {value!r}")
    return value


def check_keywords(given: Iterable[str], allowed: Iterable[str], where: str) -> None:
    """Refuse a keyword a call does not take, with the `TypeError` Python itself raises.

    For calls that take their options as `**kwargs: Unpack[SomeTypedDict]`.
    """
    names = set(allowed)
    for name in given:
        if name not in names:
            raise TypeError(f"{where}() got an unexpected keyword argument {name!r}")
