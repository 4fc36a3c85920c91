"""What every helper shares: start times, the walk's clock, firing, snapshots, comparisons.

`snapshot` and `assert_same` work for every entity kind (tickets, problems,
changes, articles, CIs); the per-kind names the package also exports
(`assert_same_ticket`, `change_snapshot`, ...) are thin wrappers around them.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from hypothesis import strategies as st

from itil_l2._core.actor import Actor
from itil_l2._core.entity import Entity
from itil_l2.errors import ItilL2Error

T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)
"""When drawn and stateful tickets, changes, articles and CIs start."""
T1 = datetime(2026, 3, 2, 8, tzinfo=UTC)
"""Two months on: when problems, the example aggregates and the contract's tickets start."""

OUTSIDER = Actor("mallory", groups={"marketing"})
"""An actor of a group no workflow knows: the stateful tests' unauthorised one."""

Draw = Callable[[st.SearchStrategy[Any]], Any]
"""What `data.draw` or a composite's `draw` is: anything that draws from a strategy."""

_ENDS = ("close", "cancel")


def walk(draw: Draw, max_steps: int, start: datetime = T0) -> Iterator[datetime]:
    """The times of a random walk's steps: up to `max_steps`, each 0 to 600 minutes on.

    Draws the number of steps first, then each step's time as the walk reaches it.
    """
    now = start
    for _ in range(draw(st.integers(0, max_steps))):
        now += timedelta(minutes=draw(st.integers(0, 600)))
        yield now


def call_trigger(
    entity: Entity[Any], trigger: str, at: datetime, actor: Actor, **kwargs: Any
) -> Any:
    """Call the method of `entity` that fires `trigger` (a trigger enum member or its name)."""
    method: Callable[..., Any] = getattr(entity, str(trigger))
    return method(at=at, actor=actor, **kwargs)


def refusal(
    entity: Entity[Any], trigger: str, at: datetime, actor: Actor, **kwargs: Any
) -> ItilL2Error | None:
    """Fire `trigger`: None if it goes through, else its error, once checked it changed nothing."""
    before = snapshot(entity)
    try:
        call_trigger(entity, trigger, at, actor, **kwargs)
    except ItilL2Error as exc:
        assert snapshot(entity) == before, f"refused {trigger} changed {entity.id}"
        return exc
    return None


def snapshot(entity: Entity[Any]) -> dict[str, Any]:
    """Every public field of an entity and its history, for before/after comparisons."""
    fields = {f.name: getattr(entity, f.name) for f in attrs.fields(type(entity))}
    public = {name: value for name, value in fields.items() if not name.startswith("_")}
    return {**public, "history": entity.history}


def assert_same(actual: Entity[Any], expected: Entity[Any]) -> None:
    """Fail, naming the first differing field or event, unless both entities match.

    Works for every entity kind (tickets, problems, changes, articles, CIs):
    compares the fields in their order, the history event by event, and
    not the private ones (the pending-events marker).
    """
    _assert_same_history(actual, expected)
    for f in attrs.fields(type(expected)):
        if not f.name.startswith("_"):
            got, want = getattr(actual, f.name), getattr(expected, f.name)
            assert got == want, f"{expected.id}: field {f.name!r} differs: {got!r} != {want!r}"


def _assert_same_history(actual: Entity[Any], expected: Entity[Any]) -> None:
    got, want = actual.history, expected.history
    for number, (event, wanted) in enumerate(zip(got, want, strict=False), start=1):
        assert event == wanted, f"{expected.id}: event {number} differs: {event!r} != {wanted!r}"
    extra = got[len(want) :] or want[len(got) :]
    assert not extra, f"{expected.id}: {len(got)} events, expected {len(want)}; extra: {extra!r}"


def assert_history_consistent(
    entity: Entity[Any], *, after_end: Container[str] | None = None
) -> None:
    """Versions number the events 1, 2, 3, ... and time never goes back.

    With `after_end`, only events of those kinds follow the first close or cancel.
    """
    history = entity.history
    assert [e.version for e in history] == list(range(1, entity.version + 1)), entity.id
    times = [e.at for e in history]
    assert times == sorted(times), f"{entity.id}: time goes back"
    if after_end is not None:
        kinds = [e.kind for e in history]
        end = next((i for i, kind in enumerate(kinds) if kind in _ENDS), len(kinds))
        late = [kind for kind in kinds[end + 1 :] if kind not in after_end]
        assert late == [], f"{entity.id}: {late} after {kinds[end]}"


def permitted(config: Any, actor: Actor, trigger: str, entity: Entity[Any]) -> bool:
    """Ask `config`'s permissions policy about `actor` firing `trigger` on `entity`, as it is now.

    The same question every entity asks before a trigger; the stateful tests
    ask it of the config they believe, so a host's own policy is followed.
    """
    return bool(config.permissions.permits(actor, trigger, entity))
