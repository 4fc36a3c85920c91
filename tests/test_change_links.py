"""Raised from a problem or a ticket; links kept both ways with a real Ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest

from itil_l2 import Actor, ChangeRequest, Link, LinkKind, NotPermitted, Resolution, ValidationError
from itil_l2.changes import ChangeType
from itil_l2.changes.events import ChangeLink, ChangeLinkKind, ChangeOutcome, ChangeRisk
from itil_l2.errors import DuplicateLink, EventOutOfOrder
from itil_l2.testing import change_snapshot, snapshot
from support import ANN, BOB, DBA, FIXED, Clock, at_l2

PROBLEM = ChangeLink(ChangeLinkKind.PROBLEM, "PRB-7")
MALLORY = Actor("mallory", groups={"marketing"})


def _raise(clock: Clock, **fields: object) -> ChangeRequest:
    values: dict[str, object] = {
        "id": "CHG-1",
        "title": "Add an index to ORDERS",
        "change_type": ChangeType.NORMAL,
        "risk": ChangeRisk.MODERATE,
        "group": DBA,
        "at": clock(),
        "actor": BOB,
        **fields,
    }
    return ChangeRequest.raise_(**values)  # type: ignore[arg-type]


def test_raised_from_a_problem_is_the_first_link_and_what_it_fixes(clock: Clock) -> None:
    rfc = _raise(clock, raised_from=PROBLEM)
    assert rfc.raised_from == PROBLEM and rfc.links == (PROBLEM,)
    assert rfc.fixes == ("PRB-7",) and rfc.tickets == ()
    assert rfc.history[0].payload.raised_from == PROBLEM


def test_raised_from_a_ticket_links_both_histories(clock: Clock) -> None:
    ticket = at_l2(clock)
    versions = ticket.version
    rfc = _raise(clock, raised_from=ticket)
    assert rfc.raised_from == ChangeLink(ChangeLinkKind.TICKET, ticket.id)
    assert rfc.tickets == (ticket.id,) and rfc.fixes == ()
    assert ticket.version == versions + 1
    last = ticket.history[-1]
    assert (last.kind, last.payload.link, last.actor_id) == (
        "link",
        Link(LinkKind.CHANGE, "CHG-1"),
        "bob",
    )
    assert last.at == rfc.history[0].at
    assert Link(LinkKind.CHANGE, "CHG-1") in ticket.links


def test_a_ticket_that_refuses_the_link_leaves_no_rfc_and_no_change(clock: Clock) -> None:
    ticket = at_l2(clock)
    before = snapshot(ticket)
    with pytest.raises(NotPermitted):
        _raise(clock, raised_from=ticket, actor=MALLORY)
    with pytest.raises(EventOutOfOrder):
        _raise(clock, raised_from=ticket, at=ticket.updated_at - timedelta(minutes=5))
    with pytest.raises(ValidationError):  # the RFC's own input is checked before the ticket
        _raise(clock, raised_from=ticket, title=" ")
    assert snapshot(ticket) == before


def test_link_adds_later_problems_and_refuses_duplicates(clock: Clock) -> None:
    rfc = _raise(clock, raised_from=PROBLEM)
    rfc.link(ChangeLinkKind.PROBLEM, "PRB-8", at=clock(), actor=BOB)
    assert rfc.fixes == ("PRB-7", "PRB-8")
    before = change_snapshot(rfc)
    with pytest.raises(DuplicateLink):
        rfc.link(ChangeLinkKind.PROBLEM, "PRB-7", at=clock(), actor=BOB)
    with pytest.raises(ValidationError):
        rfc.link(ChangeLinkKind.TICKET, "", at=clock(), actor=BOB)
    with pytest.raises(NotPermitted):
        rfc.link(ChangeLinkKind.TICKET, "INC-9", at=clock(), actor=MALLORY)
    assert change_snapshot(rfc) == before


def test_links_are_allowed_after_closing(clock: Clock) -> None:
    rfc = _raise(clock, change_type=ChangeType.STANDARD, risk=ChangeRisk.LOW)
    start = clock.now
    rfc.schedule(start, start + timedelta(hours=3), at=clock(), actor=BOB)
    rfc.implement(at=clock(), actor=BOB)
    rfc.complete(ChangeOutcome.SUCCESSFUL, at=clock(), actor=BOB)
    rfc.close(at=clock(), actor=BOB)
    rfc.link(ChangeLinkKind.PROBLEM, "PRB-9", at=clock(), actor=BOB)
    assert rfc.state == "closed" and rfc.fixes == ("PRB-9",) and rfc.successful


def test_link_ticket_links_both_sides_in_one_step(clock: Clock) -> None:
    ticket = at_l2(clock)
    rfc = _raise(clock, raised_from=PROBLEM)
    rfc.link_ticket(ticket, at=clock(), actor=BOB)
    assert rfc.tickets == (ticket.id,) and rfc.history[-1].kind == "link"
    assert ticket.history[-1].payload.link == Link(LinkKind.CHANGE, rfc.id)
    assert rfc.history[-1].at == ticket.history[-1].at
    with pytest.raises(DuplicateLink):
        rfc.link_ticket(ticket, at=clock(), actor=BOB)


def test_link_ticket_completes_a_one_sided_link(clock: Clock) -> None:
    ticket = at_l2(clock)
    rfc = _raise(clock)
    ticket.link(LinkKind.CHANGE, rfc.id, at=clock(), actor=BOB)  # the host linked one side
    ticket_version = ticket.version
    rfc.link_ticket(ticket, at=clock(), actor=BOB)
    assert ticket.version == ticket_version and rfc.tickets == (ticket.id,)

    other = _raise(clock, id="CHG-2")
    other.link(ChangeLinkKind.TICKET, ticket.id, at=clock(), actor=BOB)
    rfc_version = other.version
    other.link_ticket(ticket, at=clock(), actor=BOB)
    assert other.version == rfc_version
    assert Link(LinkKind.CHANGE, "CHG-2") in ticket.links


def test_link_ticket_is_all_or_nothing(clock: Clock) -> None:
    ticket = at_l2(clock)
    rfc = _raise(clock)
    ticket_before, rfc_before = snapshot(ticket), change_snapshot(rfc)
    # ANN (service desk, the ticket's owner group) may link the ticket, not the RFC
    with pytest.raises(NotPermitted):
        rfc.link_ticket(ticket, at=clock(), actor=ANN)
    # a change manager may link the RFC, but the ticket refuses him
    with pytest.raises(NotPermitted):
        rfc.link_ticket(ticket, at=clock(), actor=Actor("carl", roles={"change_manager"}))
    with pytest.raises(EventOutOfOrder):
        rfc.link_ticket(ticket, at=rfc.updated_at - timedelta(minutes=1), actor=BOB)
    with pytest.raises(ValidationError):
        rfc.link_ticket("INC-1", at=clock(), actor=BOB)  # type: ignore[arg-type]
    assert snapshot(ticket) == ticket_before and change_snapshot(rfc) == rfc_before


def test_a_resolved_ticket_can_name_the_problem_the_rfc_fixed(clock: Clock) -> None:
    ticket = at_l2(clock)
    rfc = _raise(clock, raised_from=ticket, change_type=ChangeType.STANDARD, risk=ChangeRisk.LOW)
    rfc.link(ChangeLinkKind.PROBLEM, "PRB-7", at=clock(), actor=BOB)
    rfc.schedule(clock.now, clock.now + timedelta(hours=1), at=clock(), actor=BOB)
    rfc.implement(at=clock(), actor=BOB)
    rfc.complete(ChangeOutcome.SUCCESSFUL, at=clock(), actor=BOB)
    assert rfc.successful and rfc.fixes == ("PRB-7",)
    resolution = Resolution(FIXED.code, "fixed by CHG-1", problem_ref=rfc.fixes[0])
    ticket.resolve(resolution, at=clock(), actor=BOB)
    assert ticket.resolution is not None and ticket.resolution.problem_ref == "PRB-7"
    assert ticket.links == (Link(LinkKind.CHANGE, "CHG-1"),)
