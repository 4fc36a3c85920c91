"""Mutated histories: replay rebuilds a ticket the triggers accept, or says the history is corrupt.

Take a history written by the real triggers, then change it as stored JSON
can be changed: one value of one event replaced (by a value from elsewhere in
the history, a blank, a number out of range, a wrong type), or an event
dropped, duplicated or two swapped. Loading must then either raise
`CorruptHistory` (or `UnknownSchema`) and nothing else, or rebuild a ticket
whose every event the live triggers accept: re-firing each event through
the public trigger methods, as an actor with the event's id, writes exactly
the same history.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itil_l2 import Actor, Role, Ticket
from itil_l2.errors import CorruptHistory, UnknownSchema
from itil_l2.testing import tickets
from itil_l2.tickets import events as ev
from itil_l2.tickets import ticket_from_json, ticket_to_json

ODD_VALUES = st.sampled_from(
    ["", "   ", None, 0, -1, 10**20, True, 1.5, "P1", "L3", "x" * 3, [], {}, ["a"], {"code": "x"}]
)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))] or [
            (path, value)
        ]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))] or [
            (path, value)
        ]
    return [(path, value)]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A real ticket's JSON with one change a trigger could not have made."""
    data = ticket_to_json(draw(tickets(max_steps=10)))
    history = data["history"]
    how = draw(st.sampled_from(["value", "value", "value", "drop", "duplicate", "swap"]))
    if how == "value" or len(history) < 2:
        number = draw(st.integers(0, len(history) - 1))
        leaves = _leaves(history[number])
        path, _old = draw(st.sampled_from(leaves))
        if path:
            others = [v for ev_ in history for _p, v in _leaves(ev_)]
            _set(history[number], path, draw(st.one_of(ODD_VALUES, st.sampled_from(others))))
    elif how == "drop":
        del history[draw(st.integers(0, len(history) - 1))]
    elif how == "duplicate":
        number = draw(st.integers(0, len(history) - 1))
        history.insert(number, copy.deepcopy(history[number]))
    else:
        i, j = draw(st.lists(st.integers(0, len(history) - 1), min_size=2, max_size=2, unique=True))
        history[i], history[j] = history[j], history[i]
    return data


def _refire(loaded: Ticket) -> Ticket:
    """The same history written again by the public triggers, one event at a time."""
    first, *rest = loaded.history
    opened = first.payload
    assert isinstance(opened, ev.Opened)
    fields = {
        name: getattr(opened, name)
        for name in (
            "kind", "title", "description", "caller", "channel", "service", "category",
            "subcategory", "symptom", "ci_refs", "impact", "urgency", "major_incident",
            "owner_group", "attributes",
        )
    }  # fmt: skip
    ticket = Ticket.open(id=loaded.id, at=first.at, actor=_actor(first), **fields)
    for event in rest:
        _call(ticket, event.payload, at=event.at, actor=_actor(event))
    return ticket


def _actor(event: Any) -> Actor:
    return Actor(event.actor_id, roles={Role.SYSTEM})


def _call(t: Ticket, p: Any, **when: Any) -> None:
    if isinstance(p, ev.Assigned):
        t.assign(p.group, reason=p.reason, **when)
    elif isinstance(p, ev.AssigneeSet):
        t.assign_to(p.assignee, **when)
    elif isinstance(p, ev.Started):
        t.start(**when)
    elif isinstance(p, ev.Requeued):
        t.requeue(reason=p.reason, **when)
    elif isinstance(p, ev.Reassigned):
        t.reassign(p.group, reason=p.reason, **when)
    elif isinstance(p, ev.Escalated):
        t.escalate(p.group, p.handover, target=p.target, **when)
    elif isinstance(p, ev.HandedBack):
        t.hand_back(p.group, p.instructions, fix=p.fix, **when)
    elif isinstance(p, ev.Held):
        t.hold(p.reason, **when)
    elif isinstance(p, ev.HoldReasonChanged):
        t.change_hold_reason(p.new, **when)
    elif isinstance(p, ev.Resumed):
        t.resume(p.cause, **when)
    elif isinstance(p, ev.VendorUpdated):
        t.vendor_update(p.text, status=p.status, ref=p.reference, **when)
    elif isinstance(p, ev.NoteAdded):
        t.add_note(p.text, visibility=p.visibility, **when)
    elif isinstance(p, ev.Updated):
        changes = {c.field: getattr(_decoded(t, c), c.field) for c in p.changes}
        changes.pop("priority", None)
        t.update(**changes, **when)
    elif isinstance(p, ev.Resolved):
        t.resolve(p.resolution, **when)
    elif isinstance(p, ev.Reopened):
        t.reopen(p.reason, **when)
    elif isinstance(p, ev.Closed):
        t.close(**when)
    elif isinstance(p, ev.Cancelled):
        t.cancel(p.reason, duplicate_of=p.duplicate_of, **when)
    elif isinstance(p, ev.Linked):
        t.link(p.link.kind, p.link.ref, **when)
    else:  # pragma: no cover - a new payload type needs a branch here
        raise AssertionError(f"no trigger for {type(p).__name__}")


def _decoded(t: Ticket, change: Any) -> Any:
    """The field value a change sets, read back through a scratch replay of just that change."""
    scratch = copy.copy(t)
    from itil_l2.tickets._apply import FIELD_CODECS  # the codec decodes JSON to a field value

    object.__setattr__(scratch, change.field, FIELD_CODECS[change.field][1](change.new))
    return scratch


@settings(max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_a_mutated_history_is_either_corrupt_or_one_the_triggers_write(
    data: dict[str, Any],
) -> None:
    try:
        loaded = ticket_from_json(data)
    except (CorruptHistory, UnknownSchema):
        return
    again = _refire(loaded)
    assert again.history == loaded.history
