"""`Query` checks every field when built: typed errors, unknown states refused, full names accepted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2 import Priority, Query, Tier
from itil_l2.errors import ItilL2Error, ValidationError
from itil_l2.storage.memory import MemoryStore
from itil_l2.testing import tickets
from itil_l2.tickets import Phase, Ticket

TICKET_STATES = [p.value for p in Phase] + [
    f"{t.value}.{p}" for t in Tier for p in ("queued", "in_progress", "on_hold")
]
OTHER_STATES = ["assess", "root_cause_analysis", "authorize", "published", "active", "recorded"]


@pytest.mark.parametrize(
    "fields",
    [
        {"tier": "l2"},
        {"tier": "L4"},
        {"tier": 2},
        {"state": "in_progres"},
        {"state": "l1.in_progress"},
        {"state": "L4.queued"},
        {"state": "L1.resolved"},
        {"state": ["queued", "nope"]},
        {"state": 3},
        {"state": [3]},
        {"state": []},
        {"priority": 0},
        {"priority": 6},
        {"priority": "2"},
        {"priority": True},
        {"group": 7},
        {"category": 1},
        {"ci": b"db-1"},
        {"opened_from": "2026-03-01"},
        {"resolved_before": datetime(2026, 3, 1)},  # naive
    ],
)
def test_every_bad_field_raises_a_typed_error(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        Query(**fields)
    assert isinstance(caught.value, ItilL2Error)
    assert caught.value.category.http_status == 422


def test_an_unknown_state_is_refused_with_the_valid_ones_listed() -> None:
    with pytest.raises(ValidationError) as caught:
        Query(state="in_progres")
    message = str(caught.value)
    for valid in [*TICKET_STATES, *OTHER_STATES]:
        assert valid in message


@given(st.text(max_size=20))
def test_only_known_states_are_accepted(text: str) -> None:
    known = set(TICKET_STATES) | set(OTHER_STATES)
    if text in known:
        assert Query(state=text).state == {text}
        return
    try:
        query = Query(state=text)
    except ValidationError:
        return
    # other entities' states not listed above are still real ones
    assert query.state == {text} and "." not in text


@pytest.mark.parametrize("state", [*TICKET_STATES, *OTHER_STATES])
def test_every_real_state_is_accepted(state: str) -> None:
    assert Query(state=state).state == {state}


def test_good_values_of_every_field_are_accepted() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    query = Query(
        state=[Phase.QUEUED, "L2.on_hold"],
        tier="L2",
        group="network-l2",
        priority=Priority.P2,
        category="network",
        ci="db-1",
        opened_from=at,
        opened_before=at,
        resolved_from=at,
        resolved_before=at,
    )
    assert query.tier is Tier.L2 and query.priority == 2
    assert query.state_terms == (frozenset({"queued"}), (("on_hold", "L2"),))


@settings(max_examples=60, deadline=None)
@given(st.lists(tickets(), min_size=1, max_size=6, unique_by=lambda t: t.id))
def test_a_tickets_state_or_phase_finds_exactly_the_tickets_in_it(made: list[Ticket]) -> None:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        for ticket in made:
            uow.tickets.add(ticket)
        uow.commit()
    with store.unit_of_work() as uow:
        for ticket in made:
            by_state = {t.id for t in uow.tickets.find(Query(state=ticket.state))}
            assert by_state == {t.id for t in made if t.state == ticket.state}
            by_phase = {t.id for t in uow.tickets.find(Query(state=ticket.phase.value))}
            assert by_phase == {t.id for t in made if t.phase == ticket.phase}
