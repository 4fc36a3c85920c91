"""The stored-event codec: msgspec underneath, the cattrs format on the outside.

Events are written as the JSON the library's cattrs converter gives
(`itil_l2.storage.converter`), so rows written by every earlier release and
rows written now are one format. What changed in 0.2 is the machinery:

- **Encoding**: code generated once per event class gives the converter's
  data without its per-value dispatch (`unstructuring`), and msgspec's C
  encoder writes it: the standard library's compact text with unicode
  verbatim, except that a float with an exponent is spelt `1e16`, not
  `1e+16` (the same float).
- **Decoding**: msgspec decodes the text into mirror `Struct`s of the event's
  classes, checking each value's type in C, then code generated once per
  class builds the event (`mirroring`; `structuring` builds it from parsed
  dicts where a class cannot be mirrored, and for upcast rows) **without
  re-running the field validators**: they ran when the event was made,
  before it was ever written. Each value's *type* is still checked (a
  string where a string belongs, a member of the enum, an aware time), so a
  row of the wrong shape is `CorruptHistory`, never a half-built event; and
  replay still runs every workflow rule on every event, so a stored history
  can never hold a state the rules forbid. What a decoded event is not re-checked for is what only
  a validator knows (a blank title, a badly formed identifier): such a value
  can only come from a row edited by hand, and loads as it is written.

JSON handed in from outside (`entity_from_json`, files) is not a row the
store wrote: it goes through the converter, validators and all.

Why not msgspec's own attrs support: msgspec 0.19+ runs attrs validators on
decode (what this module avoids), its encoding of times, durations and sets
differs from the stored format, and it has no tagged unions for attrs
classes; its `Struct`s decode typed and tagged in C, hence the mirrors.
Why not orjson: it parses to dicts as msgspec does (measured the
same on these events) and has no typed decoding; one fast codec is a core
dependency, not two.
"""

from __future__ import annotations

from typing import Any

import msgspec

from itil_l2._core.mirroring import mirror_decoder
from itil_l2._core.structuring import attrs_structurer, parse, trusted_structurer, wrong
from itil_l2._core.time import isoformat
from itil_l2._core.unstructuring import unstructurer

__all__ = ["EventCodec"]

_encode = msgspec.json.Encoder().encode


class EventCodec:
    """Encodes one entity kind's events to stored JSON text and decodes them back.

    `event_type` is the kind's envelope (`TicketEvent`, ...), `payloads` its
    payload classes, tagged in the JSON by their trigger under `"type"`;
    `converter` the library's cattrs converter, whose format the text is.
    """

    def __init__(
        self, event_type: type[Any], payloads: tuple[type[Any], ...], converter: Any
    ) -> None:
        fallback = converter.structure
        tagged = {str(p.TRIGGER): trusted_structurer(p, fallback) for p in payloads}
        flat = {p: unstructurer(p, converter, str(p.TRIGGER)) for p in payloads}

        def payload(value: Any) -> Any:
            build = tagged.get(str(value.get("type"))) if type(value) is dict else None
            if build is None:
                raise wrong(value, "a payload object tagged with a known type")
            return build(value)

        self._build = attrs_structurer(event_type, fallback, {"payload": payload})
        self._decode = mirror_decoder(event_type, payloads, fallback)  # None: the dict path

        def data(e: Any) -> dict[str, Any]:
            return {
                "entity_id": e.entity_id,
                "version": e.version,
                "at": isoformat(e.at),
                "actor_id": e.actor_id,
                "payload": flat[type(e.payload)](e.payload),
                "schema": e.schema,
            }

        self._flat = data

    def encode(self, event: Any) -> str:
        """The stored text of `event` (compact JSON, unicode verbatim)."""
        return _encode(self._flat(event)).decode()

    def decode(self, text: str | bytes) -> Any:
        """The event stored as `text` in the current schema (types checked, no validators)."""
        if self._decode is not None:
            try:
                return self._decode(text)
            except Exception:  # any text the mirrors refuse: the dict path decides
                pass
        return self._build(parse(text))

    def structure(self, data: Any) -> Any:
        """The event from decoded JSON `data` in the current schema."""
        return self._build(data)
