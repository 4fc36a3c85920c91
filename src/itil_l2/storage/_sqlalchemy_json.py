"""Host attributes inside the stored view, as SQL each dialect spells its own way.

`attribute_text(name)` is a host attribute of the stored view as text
(SQLite's `json_extract`, PostgreSQL's `jsonb` operators);
`attribute_index(name)` indexes exactly that expression, so the database
uses the index for `Query(attributes=...)`. Names are checked identifiers,
compiled into the statement (a JSON path cannot be a bound parameter in an
index expression).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Index, String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from itil_l2.storage._query import attribute_name
from itil_l2.storage._tables import heads

__all__ = ["attribute_index", "attribute_text"]


class _Attribute(FunctionElement[str]):
    """A host attribute of the view: its text if it is a JSON string, else NULL.

    The type check is inside the expression, so the index on it answers the
    whole filter without parsing a row's view.
    """

    type = String()
    inherit_cache = False  # the name is compiled inline: never share a cached statement
    name = "itil_attribute"


def _path(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    view, name = list(element.clauses)
    return compiler.process(view, **kw), attribute_name(name.value)


@compiles(_Attribute, "sqlite")
def _sqlite(element: _Attribute, compiler: SQLCompiler, **kw: Any) -> str:
    view, name = _path(element, compiler, **kw)
    path = f"'$.attributes.{name}'"
    return f"(CASE json_type({view}, {path}) WHEN 'text' THEN json_extract({view}, {path}) END)"


@compiles(_Attribute, "postgresql")
def _postgres(element: _Attribute, compiler: SQLCompiler, **kw: Any) -> str:
    view, name = _path(element, compiler, **kw)
    value = f"((({view})::jsonb -> 'attributes') -> '{name}')"
    return f"(CASE WHEN jsonb_typeof({value}) = 'string' THEN {value} #>> '{{}}' END)"


def attribute_text(name: str) -> ColumnElement[str]:
    """The host attribute `name` of a head's view if it is a string, else NULL."""
    return _Attribute(heads.c.view, literal(attribute_name(name)))


def attribute_index(name: str) -> Index:
    """The index a `Query(attributes={name: ...})` uses; add it in a migration (or let the store).

    >>> from itil_l2.storage.sqlalchemy import attribute_index
    >>> attribute_index("customer").name
    'itil_heads_attr_customer'
    """
    index = Index(
        f"itil_heads_attr_{attribute_name(name)}",
        heads.c.kind,
        heads.c.tenant,
        attribute_text(name),
    )
    # Not part of `metadata`: each call would add one more same-named index to the table.
    heads.indexes.discard(index)
    return index
