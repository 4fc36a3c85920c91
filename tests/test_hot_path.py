"""The trigger engine's fast paths decide exactly as the general checks they skip.

`_fire` and `_replay` take shortcuts for the common case (a UTC time, a
plain printable actor id, a route with one unconditional candidate); each
shortcut must accept only what the full check accepts and leave the rest to
it, so these tests compare the two on adversarial input.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from itil_l2 import Actor, Impact, SupportGroup, Ticket, Tier, Urgency
from itil_l2._core.checks import MAX_ID_LENGTH, id_fault
from itil_l2._core.values import check_envelope
from itil_l2._core.workflow import WORKFLOWS, first_match
from itil_l2.errors import CorruptHistory, NaiveDatetime, ValidationError

DESK = SupportGroup("service-desk", Tier.L1)
AGENT = Actor("ann", groups={DESK.name})
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _ticket(at: datetime = T0) -> Ticket:
    return Ticket.open(
        id="INC-1", title="VPN down", impact=Impact.LOW, urgency=Urgency.LOW,
        owner_group=DESK, at=at, actor=AGENT,
    )  # fmt: skip


class _State:
    """What a route reads of an entity with no conditions: its state."""

    def __init__(self, state: str) -> None:
        self.state = state


@pytest.mark.parametrize("kind", sorted(WORKFLOWS))
def test_direct_routes_are_exactly_the_unconditional_single_candidates(kind: str) -> None:
    workflow = WORKFLOWS[kind]
    expected = {
        key: first_match(candidates, _State(key[0]), None, key[0])
        for key, candidates in workflow.table.items()
        if len(candidates) == 1 and not candidates[0][1]
    }
    assert workflow.direct == expected
    assert all(dest is not None for dest in expected.values())
    for (state, trigger), dest in expected.items():  # route answers from it as before
        assert workflow.route(_State(state), trigger, None) == dest


class _NoOffset(tzinfo):
    """A tzinfo that makes datetimes naive: `utcoffset` returns None."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None


class _UtcDatetime(datetime):
    """A datetime subclass (as pandas' Timestamp is one) with UTC as its zone."""


def test_fire_takes_every_aware_time_and_refuses_the_naive_ones() -> None:
    t = _ticket()
    t.assign(DESK, at=T0 + timedelta(minutes=1), actor=AGENT)  # UTC: the fast path
    t.start(at=datetime(2026, 1, 5, 11, tzinfo=ZoneInfo("Europe/Berlin")), actor=AGENT)
    t.add_note("x", at=datetime(2026, 1, 5, 10, 5, tzinfo=timezone(timedelta(0))), actor=AGENT)
    later = _UtcDatetime(2026, 1, 5, 10, 6, tzinfo=UTC)
    t.add_note("y", at=later, actor=AGENT)
    for naive in (datetime(2026, 1, 6, 9), datetime(2026, 1, 6, 9, tzinfo=_NoOffset())):
        with pytest.raises(NaiveDatetime):
            t.add_note("z", at=naive, actor=AGENT)
    with pytest.raises(ValidationError):
        t.add_note("z", at="2026-01-06T09:00:00+00:00", actor=AGENT)  # type: ignore[arg-type]
    assert t.version == 5


_ids = st.one_of(
    st.text(max_size=8),
    st.text(
        alphabet=st.characters(codec="utf-8"),
        min_size=MAX_ID_LENGTH - 2,
        max_size=MAX_ID_LENGTH + 2,
    ),
    st.sampled_from(["", " ", "\t", "a\x00", "\x85", "\u2028", "a\ud800", "ann", " a "]),
)


@given(actor_id=_ids)
def test_replay_refuses_an_actor_id_exactly_when_an_identifier_check_does(actor_id: str) -> None:
    event = attrs.evolve(_ticket().history[0], actor_id=actor_id)
    if id_fault(actor_id) is None:
        check_envelope(event, event.schema, "Ticket")
    else:
        with pytest.raises(ValidationError, match="actor_id"):
            check_envelope(event, event.schema, "Ticket")


class _Str(str):
    """A str subclass: never taken by the fast path, still an identifier."""


@pytest.mark.parametrize("actor_id", [_Str("ann"), _Str(""), 7, None])
def test_replay_checks_odd_actor_ids_in_full(actor_id: Any) -> None:
    event = attrs.evolve(_ticket().history[0], actor_id=actor_id)
    if isinstance(actor_id, str) and actor_id:
        check_envelope(event, event.schema, "Ticket")
    else:
        with pytest.raises(ValidationError):
            check_envelope(event, event.schema, "Ticket")


def test_decoded_replay_refuses_a_naive_or_backward_time() -> None:
    t = _ticket()
    t.assign(DESK, at=T0 + timedelta(minutes=1), actor=AGENT)
    first, second = t.history
    for at in (datetime(2026, 1, 5, 9, 1), datetime(2026, 1, 5, 9, 1, tzinfo=_NoOffset())):
        with pytest.raises(CorruptHistory, match="NaiveDatetime"):
            Ticket._decoded([first, attrs.evolve(second, at=at)])
    with pytest.raises(CorruptHistory, match="EventOutOfOrder"):
        Ticket._decoded([first, attrs.evolve(second, at=T0 - timedelta(seconds=1))])
    assert Ticket._decoded(t.history).state == t.state
