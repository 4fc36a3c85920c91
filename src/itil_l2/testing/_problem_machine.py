"""The stateful problem workflow test, as a base class hosts extend with their own rules.

`ProblemWorkflowMachine` fires random problem triggers (with valid and
invalid inputs, by authorised and unauthorised actors, at earlier and later
times) at a few problems and incidents, and checks every outcome against
`expected_problem_phase` and a shadow model kept by the machine itself, never
read back from the problems under test.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ItilL2Error, NotPermitted
from itil_l2.problems import (
    Problem,
    ProblemConfig,
    ProblemResolutionCode,
    ProblemTrigger,
)
from itil_l2.problems.rca import RcaStatus
from itil_l2.testing._common import (
    OUTSIDER,
    T1,
    assert_history_consistent,
    assert_same,
    call_trigger,
    permitted,
    snapshot,
)
from itil_l2.testing._problems import (
    PROBLEM_MANAGER,
    PROBLEM_TEAM,
    ShadowProblem,
    draw_problem_arguments,
    draw_problem_trigger,
)
from itil_l2.tickets import (
    Link,
    LinkKind,
    Phase,
    Resolution,
    Ticket,
    TicketKind,
    Trigger,
    WorkflowConfig,
)

_DESK = SupportGroup("service-desk", Tier.L1)
_MEMBER = Actor("pia", groups={PROBLEM_TEAM.name})
_ROGUE_CODE = ProblemResolutionCode("made_up", "Made up", requires_rca=False)
_ACTORS = (PROBLEM_MANAGER, SYSTEM, PROBLEM_MANAGER, _MEMBER, OUTSIDER)
_T = ProblemTrigger
_WITHOUT_RCA = ProblemResolutionCode.CLOSED_WITHOUT_RCA


class ProblemWorkflowMachine(RuleBasedStateMachine):
    """Random problem triggers against a shadow model and `expected_problem_phase`.

    Checked after every step: a trigger succeeds exactly when the oracle,
    the input and the actor allow it (at a time not before the last one),
    and a refused trigger changes no problem and no ticket (`NotPermitted`
    whenever the policy refuses a valid call in time, whatever the
    workflow says); linking writes both histories; resolving resolves
    exactly the linked incidents on hold awaiting the problem; histories
    replay to equal problems. Subclass it with another `config` (and the
    incidents' `ticket_config`) or more invariants; run its `.TestCase`:

        class OurProblems(ProblemWorkflowMachine):
            config = ProblemConfig(fix_needs_root_cause=False, allow_close_without_rca=True)

            @invariant()
            def closed_problems_have_a_known_error(self) -> None:
                for p in self.problems:
                    assert p.phase is not ProblemPhase.CLOSED or p.known_error

        TestOurProblems = OurProblems.TestCase

    Both configs are followed: each policy is asked as the entities ask it
    (the tickets' one for the incident's link, and with `incident_resolver_role`
    added for the incidents a resolve resolves); incidents wait with
    `awaiting_reason`; only `linkable_kinds` link; resolve also draws
    `CLOSED_WITHOUT_RCA` (valid with `allow_close_without_rca` only).
    """

    config: ClassVar[ProblemConfig] = ProblemConfig()
    ticket_config: ClassVar[WorkflowConfig] = WorkflowConfig()
    max_problems: ClassVar[int] = 2
    max_tickets: ClassVar[int] = 4

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[Problem] = []
        self.shadows: dict[str, ShadowProblem] = {}
        self.tickets: list[Ticket] = []
        self.owner: dict[str, str] = {}  # ticket id -> problem id it belongs to
        self.now = T1
        tc, awaiting = self.ticket_config, self.config.awaiting_reason
        if awaiting not in tc.hold_reasons:
            changes: dict[str, Any] = {"hold_reasons": (*tc.hold_reasons, awaiting)}
            tc = attrs.evolve(tc, **changes)
        self.tickets_config = tc

    @initialize()
    def start(self) -> None:
        """Every run starts with one problem and two incidents, one waiting for a problem."""
        self.open_problem()
        self.open_ticket(TicketKind.INCIDENT)
        self.open_ticket(TicketKind.INCIDENT)
        self.tickets[0].hold(self.config.awaiting_reason, at=self.now, actor=SYSTEM)

    @precondition(
        lambda self: (
            len(self.problems) < self.max_problems and all(p.version > 5 for p in self.problems)
        )
    )
    @rule()
    def open_problem(self) -> None:
        """Log a problem for the problem team (once the others have some history)."""
        pid = f"PRB-{len(self.problems) + 1}"
        problem = Problem.open(
            id=pid,
            statement="Order app loses its database",
            impact=Impact.HIGH,
            urgency=Urgency.MEDIUM,
            group=PROBLEM_TEAM,
            at=self.now,
            actor=SYSTEM,
            config=self.config,
        )
        self.problems.append(problem)
        self.shadows[pid] = ShadowProblem()

    @precondition(lambda self: len(self.tickets) < self.max_tickets)
    @rule(kind=st.sampled_from([TicketKind.INCIDENT, *TicketKind]))
    def open_ticket(self, kind: TicketKind) -> None:
        """Log a ticket at the desk and start work on it."""
        ticket = Ticket.open(
            id=f"INC-{len(self.tickets) + 1}",
            title="Orders fail",
            impact=Impact.MEDIUM,
            urgency=Urgency.MEDIUM,
            owner_group=_DESK,
            kind=kind,
            at=self.now,
            actor=SYSTEM,
            config=self.tickets_config,
        )
        ticket.assign(_DESK, at=self.now, actor=SYSTEM)
        ticket.start(at=self.now, actor=SYSTEM)
        self.tickets.append(ticket)

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data())
    def move_ticket(self, data: st.DataObject) -> None:
        """Hold, resume, resolve or close a ticket (legal moves only, by the system)."""
        ticket: Ticket = data.draw(st.sampled_from(self.tickets))
        if ticket.phase is Phase.IN_PROGRESS:
            reasons = [self.config.awaiting_reason, *self.tickets_config.hold_reasons[:1], None]
            reason = data.draw(st.sampled_from(reasons))
            if reason is None:
                code = self.tickets_config.resolution_codes[0]
                ticket.resolve(Resolution(code, "done"), at=self.now, actor=SYSTEM)
            else:
                ticket.hold(reason, at=self.now, actor=SYSTEM)
        elif ticket.phase is Phase.ON_HOLD and data.draw(st.booleans()):
            ticket.resume("problem news", at=self.now, actor=SYSTEM)
        elif ticket.phase is Phase.RESOLVED:
            ticket.close(at=self.now, actor=SYSTEM)

    @precondition(lambda self: bool(self.problems))
    @rule(data=st.data())
    def fire(self, data: st.DataObject) -> None:
        """Fire a random problem trigger, by a random actor, at a random (maybe earlier) time."""
        problem: Problem = data.draw(st.sampled_from(self.problems))
        shadow = self.shadows[problem.id]
        unlinked = any(t.id not in self.owner for t in self.tickets)
        trigger, progress = draw_problem_trigger(
            data.draw, problem, shadow, unlinked=unlinked, linkable=bool(self.tickets)
        )
        kwargs, valid = self._arguments(data, problem, shadow, trigger, progress)
        actor = data.draw(st.sampled_from(_ACTORS))
        at = self.now + timedelta(minutes=data.draw(st.sampled_from([1, 0, 30, -90])))
        # Asked as the problem asks it: this actor, this trigger, the problem as it is now.
        by_policy = permitted(self.config, actor, trigger, problem)
        valid = valid and self._tickets_permit(actor, trigger, kwargs, shadow)
        self._check(problem, shadow, trigger, kwargs, (valid, by_policy), at, actor)
        self.now = max(self.now, at)

    # -- drawing moves ------------------------------------------------------------------

    def _arguments(
        self,
        data: st.DataObject,
        problem: Problem,
        shadow: ShadowProblem,
        trigger: ProblemTrigger,
        progress: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """Keyword arguments for `trigger`, and whether they are valid input now."""
        ok: bool = data.draw(st.sampled_from([True, True, False]))
        if trigger is _T.RESOLVE:
            return self._resolve_arguments(data, problem, shadow, ok)
        if trigger is _T.LINK_INCIDENT:
            return self._link_arguments(data, problem, shadow, ok)
        return draw_problem_arguments(data.draw, problem, shadow, trigger, ok, progress=progress)

    def _link_arguments(
        self, data: st.DataObject, problem: Problem, shadow: ShadowProblem, ok: bool
    ) -> tuple[dict[str, Any], bool]:
        ticket: Ticket = data.draw(st.sampled_from(self.tickets))
        owner = self.owner.get(ticket.id)
        moved_from = owner if owner not in (None, problem.id) and data.draw(st.booleans()) else None
        if not ok:
            moved_from = "PRB-9"
        fine = (
            ok
            and ticket.kind in self.config.linkable_kinds
            and ticket.id not in shadow.incidents
            and owner in (None, moved_from)
        )
        return {"ticket": ticket, "moved_from": moved_from}, fine

    def _resolve_arguments(
        self, data: st.DataObject, problem: Problem, shadow: ShadowProblem, ok: bool
    ) -> tuple[dict[str, Any], bool]:
        complete = shadow.rca is not None and shadow.rca.status is RcaStatus.COMPLETED
        codes = sorted(  # usable codes first: hypothesis favours early entries
            {*self.config.resolution_codes, _WITHOUT_RCA},
            key=lambda c: (
                c == _WITHOUT_RCA and not self.config.allow_close_without_rca,
                c.requires_rca and not complete,
                c.incident_code is None,
                c.code,
            ),
        )
        code: ProblemResolutionCode = data.draw(st.sampled_from(codes))
        duplicate_of = "PRB-OTHER" if code.duplicate else None
        if not ok:
            flaw = data.draw(st.sampled_from(["rogue", "duplicate_of"]))
            if flaw == "rogue":
                code = _ROGUE_CODE
            else:
                duplicate_of = None if code.duplicate else "PRB-OTHER"
        configured = code in self.config.resolution_codes or (
            code == _WITHOUT_RCA and self.config.allow_close_without_rca
        )
        waiting = self._waiting(shadow)
        incident_code = code.incident_code
        fine = ok and configured and (not waiting or incident_code is not None)
        if waiting and incident_code not in self.tickets_config.resolution_codes:
            fine = False  # the incidents' own resolve would refuse the code
        notes, incidents = "rotated the logs", list(self.tickets)
        return {
            "code": code,
            "notes": notes,
            "incidents": incidents,
            "duplicate_of": duplicate_of,
        }, fine

    def _waiting(self, shadow: ShadowProblem) -> list[Ticket]:
        """Tickets the shadow links to the problem that are on hold awaiting it."""
        return [
            t
            for t in self.tickets
            if t.id in shadow.incidents
            and t.phase is Phase.ON_HOLD
            and t.hold_reason == self.config.awaiting_reason
        ]

    def _tickets_permit(
        self, actor: Actor, trigger: ProblemTrigger, kwargs: dict[str, Any], shadow: ShadowProblem
    ) -> bool:
        """Whether the tickets' policy lets the incident side of a link or resolve happen."""
        cfg = self.tickets_config
        if trigger is _T.LINK_INCIDENT:
            return permitted(cfg, actor, Trigger.LINK, kwargs["ticket"])
        if trigger is _T.RESOLVE and kwargs["code"].incident_code is not None:
            # the tickets' resolve is fired with the resolver role added
            resolver = attrs.evolve(actor, roles=actor.roles | {self.config.incident_resolver_role})
            return all(permitted(cfg, resolver, Trigger.RESOLVE, t) for t in self._waiting(shadow))
        return True

    # -- checking a move ----------------------------------------------------------------

    def _check(
        self,
        problem: Problem,
        shadow: ShadowProblem,
        trigger: ProblemTrigger,
        kwargs: dict[str, Any],
        verdict: tuple[bool, bool],
        at: datetime,
        actor: Actor,
    ) -> None:
        """Fire and check; `verdict`: (the input and tickets allow it, the policy permits it)."""
        valid, by_policy = verdict
        allowed = valid and by_policy
        before = snapshot(problem)
        tickets_before = {t.id: snapshot(t) for t in self.tickets}
        expected = shadow.expected(trigger, kwargs.get("code"), self.config)
        waiting = self._waiting(shadow) if trigger is _T.RESOLVE else []
        try:
            result = call_trigger(problem, trigger, at, actor, **kwargs)
        except ItilL2Error as error:
            if valid and not by_policy and at >= self.now:  # permissions before the workflow
                assert isinstance(error, NotPermitted), f"{trigger} by {actor.id}: {error!r}"
            assert snapshot(problem) == before, f"refused {trigger} changed {problem.id}"
            for t in self.tickets:
                assert snapshot(t) == tickets_before[t.id], f"refused {trigger} changed {t.id}"
            must = expected is not None and allowed and at >= self.now
            assert not must, f"{trigger} {kwargs} by {actor.id} refused on {problem!r}"
            return
        assert expected is not None, f"{trigger} allowed from {shadow.phase}"
        assert allowed, f"{trigger} accepted {kwargs} from {actor.id}"
        assert at >= before["history"][-1].at
        assert problem.phase is expected
        assert problem.version == len(before["history"]) + 1
        assert problem.history[-1].kind == trigger.value
        changed = self._check_tickets(problem, trigger, kwargs, result, waiting)
        for t in self.tickets:
            if t.id not in changed:
                assert snapshot(t) == tickets_before[t.id], f"{trigger} changed {t.id}"
        shadow.record(trigger, kwargs, expected)
        if trigger is _T.LINK_INCIDENT:
            self.owner[kwargs["ticket"].id] = problem.id

    def _check_tickets(
        self,
        problem: Problem,
        trigger: ProblemTrigger,
        kwargs: dict[str, Any],
        result: Any,
        waiting: list[Ticket],
    ) -> set[str]:
        """Check the tickets the move had to change; return their ids."""
        if trigger is _T.LINK_INCIDENT:
            ticket: Ticket = kwargs["ticket"]
            assert ticket.links[-1] == Link(LinkKind.PROBLEM, problem.id)
            assert ticket.history[-1].kind == "link"
            return {ticket.id}
        if trigger is _T.RESOLVE:
            assert [t.id for t in result] == [t.id for t in waiting]
            for t in result:
                assert t.phase is Phase.RESOLVED and t.resolution is not None
                assert t.resolution.problem_ref == problem.id
                assert t.resolution.code == kwargs["code"].incident_code
            return {t.id for t in result}
        assert result is None or trigger is _T.RAISE_KNOWN_ERROR
        return set()

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def problems_match_the_shadow(self) -> None:
        """Phase, links, workaround and resolution code are what the moves made them."""
        for p in self.problems:
            shadow = self.shadows[p.id]
            assert p.phase is shadow.phase
            assert list(p.incident_ids) == shadow.incidents
            assert (p.workaround, p.rca, p.known_error is not None) == (
                shadow.workaround,
                shadow.rca,
                shadow.known_error,
            )
            assert (p.resolution.code if p.resolution else None) == shadow.code

    @invariant()
    def links_are_mirrored(self) -> None:
        """Every incident a problem lists links back to it, and belongs to it."""
        by_id = {t.id: t for t in self.tickets}
        for p in self.problems:
            for tid in p.incident_ids:
                assert Link(LinkKind.PROBLEM, p.id) in by_id[tid].links
        for t in self.tickets:
            mine = [link.ref for link in t.links if link.kind is LinkKind.PROBLEM]
            assert (mine[-1] if mine else None) == self.owner.get(t.id)

    @invariant()
    def resolved_problems_respect_the_rca_rule(self) -> None:
        """A problem resolved with an RCA-requiring code has a completed RCA."""
        for p in self.problems:
            if p.resolution is not None and p.resolution.code.requires_rca:
                assert p.rca is not None and p.rca.status is RcaStatus.COMPLETED
                assert p.rca.root_cause is not None and p.rca.corrective_actions

    @invariant()
    def histories_replay(self) -> None:
        """Versions count events, time never goes back, final problems stay final."""
        for p in self.problems:
            assert_history_consistent(p, after_end=())
            assert_same(Problem.from_history(p.history, config=self.config), p)
