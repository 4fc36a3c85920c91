"""A helpdesk API with FastAPI on itil_l2: open, escalate, hold, resolve, list, SLA, KPIs.

`create_app(engine_or_sessionmaker)` returns the application. Each request gets
one SQLAlchemy Session and one transaction (the `request_session` dependency);
a route binds the store to it, and its unit of work commits inside that
transaction, beside the helpdesk's own `audit` row. The transaction commits
when the route returns, before the response is sent; a route that fails
after its unit of work committed leaves nothing behind.

Responses are the library's views (`TicketView`, `SlaView`) as response
models, so `/openapi.json` publishes their enums and formats. Every
`ItilL2Error` becomes its category's HTTP status, through one handler.
"""

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import attrs
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi import Query as Param
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, insert
from sqlalchemy.orm import Session, sessionmaker

from itil_l2 import (
    Actor,
    Handover,
    HoldReason,
    Impact,
    L3Target,
    L3TargetKind,
    Priority,
    Query,
    Resolution,
    SolutionAttempt,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
    WorkflowConfig,
)
from itil_l2.errors import ErrorCategory, ItilL2Error, UnknownResolutionCode, ValidationError
from itil_l2.kpis import KpiResult, kpi_table, sla_compliance_metric, standard_metrics
from itil_l2.sla import SlaMetric, SlaTarget, sla_status
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.views import SlaView, TicketView, sla_view, ticket_view

log = logging.getLogger("helpdesk")

# -- the helpdesk's own table, written in the same transaction as the library's rows ----

helpdesk_tables = MetaData()
audit = Table(
    "helpdesk_audit",
    helpdesk_tables,
    Column("id", Integer, primary_key=True),
    Column("ticket", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


def create_tables(engine: Engine) -> None:
    """The library's tables and the helpdesk's (in real life: the host's Alembic migrations)."""
    metadata.create_all(engine)
    helpdesk_tables.create_all(engine)


# -- who is who: a small in-app directory (a real host asks its identity provider) ------

GROUPS = {
    g.name: g
    for g in (
        SupportGroup("service-desk", Tier.L1),
        SupportGroup("app-support", Tier.L2),
        SupportGroup("vendor-l3", Tier.L3),
    )
}
ACTORS = {
    a.id: a
    for a in (
        Actor("ann", groups={"service-desk"}),
        Actor("bob", groups={"app-support"}),
        Actor("vic", groups={"vendor-l3"}),
        Actor("kim"),  # a known user in no support group
    )
}
SLA_TARGETS = (
    SlaTarget("response", SlaMetric.RESPONSE, dict.fromkeys(Priority, timedelta(hours=1))),
    SlaTarget(
        "resolution",
        SlaMetric.RESOLUTION,
        {
            Priority.P1: timedelta(hours=4),
            Priority.P2: timedelta(hours=8),
            Priority.P3: timedelta(days=1),
            Priority.P4: timedelta(days=3),
            Priority.P5: timedelta(days=5),
        },
    ),
)


@attrs.frozen
class Helpdesk:
    """What the routes share, made once by `create_app` (on `app.state.helpdesk`)."""

    store: SqlAlchemyStore
    sessions: sessionmaker[Session]
    config: WorkflowConfig
    actors: Mapping[str, Actor]
    groups: Mapping[str, SupportGroup]
    desk: SupportGroup  # the owner group of every ticket this API opens
    sla_targets: Sequence[SlaTarget]
    clock: Callable[[], datetime]

    def group(self, name: str) -> SupportGroup:
        """A support group by name; an unknown name is the caller's mistake (422)."""
        if name not in self.groups:
            raise ValidationError(f"unknown group {name!r}; groups: {', '.join(self.groups)}")
        return self.groups[name]


# -- dependencies: the helpdesk, the request's Session and transaction, the actor ------


def helpdesk(request: Request) -> Helpdesk:
    """The application's `Helpdesk`."""
    desk: Helpdesk = request.app.state.helpdesk
    return desk


Desk = Annotated[Helpdesk, Depends(helpdesk)]


def request_session(desk: Desk) -> Iterator[Session]:
    """One Session and one transaction per request: committed if the route returns."""
    with desk.sessions() as session, session.begin():
        yield session


# scope="function": the transaction ends before the response is sent, so a failed
# commit is answered as an error, never as a success the database did not keep.
Db = Annotated[Session, Depends(request_session, scope="function")]


def current_actor(desk: Desk, x_actor: Annotated[str | None, Header()] = None) -> Actor:
    """The actor named by the `X-Actor` header (stands in for real authentication)."""
    if x_actor is None or x_actor not in desk.actors:
        raise HTTPException(401, "unknown actor: send X-Actor with a known user id")
    return desk.actors[x_actor]


Who = Annotated[Actor, Depends(current_actor)]


def change(
    desk: Helpdesk,
    session: Session,
    actor: Actor,
    ticket_id: str,
    action: str,
    act: Callable[[Ticket, datetime], None],
) -> TicketView:
    """Load a ticket, apply `act(ticket, at)`, save it and write the audit row."""
    at = desk.clock()
    with desk.store.bind(session).unit_of_work() as uow:
        ticket = uow.tickets.get(ticket_id)
        act(ticket, at)
        uow.tickets.save(ticket)
        uow.commit()  # a SAVEPOINT released: durable when the request's transaction commits
    session.execute(insert(audit).values(ticket=ticket_id, action=action, actor=actor.id, at=at))
    return ticket_view(ticket)


# -- request bodies (responses are the library's views) ---------------------------------


class OpenTicket(BaseModel):
    """A new ticket; the priority follows from impact and urgency."""

    title: str
    impact: Impact
    urgency: Urgency
    description: str = ""
    caller: str | None = None
    category: str | None = None
    ci_refs: list[str] = []


class Assign(BaseModel):
    """The group a new ticket goes to; above L1 the config may ask for a reason."""

    group: str
    reason: str | None = None


class Attempt(BaseModel):
    """One thing tried before escalating, and what came of it."""

    action: str
    result: str


class HandoverIn(BaseModel):
    """The handover; every part may be left out, and the config decides what is missing."""

    description: str = ""
    attempts: list[Attempt] = []
    ci_refs: list[str] = []
    priority: Literal["P1", "P2", "P3", "P4", "P5"] | None = None
    impact: Impact | None = None
    hypothesis: str | None = None


class TargetIn(BaseModel):
    """Who works the ticket at L3."""

    kind: L3TargetKind
    name: str
    reference: str | None = None


class Escalate(BaseModel):
    """An escalation to the next tier's group, with its handover (and an L3 target)."""

    group: str
    handover: HandoverIn
    target: TargetIn | None = None


class Hold(BaseModel):
    """Why work pauses: a hold reason code of the config."""

    reason: str


class Resume(BaseModel):
    """What ended the wait."""

    cause: str


class Resolve(BaseModel):
    """A resolution code of the config, with notes."""

    code: str
    notes: str


class TicketPage(BaseModel):
    """One page of a ticket list; `next_cursor` fetches the next (null: the last page)."""

    items: list[TicketView]
    next_cursor: str | None


Dimension = Literal["day", "week", "month", "group", "tier", "category", "priority", "ci"]
"""What `/kpis?by=` groups by: `itil_l2.kpis.DIMENSIONS`, as a type (the library exports none)."""


class Kpi(BaseModel):
    """One KPI of one group: value (null: nothing measured), sample size, exclusions."""

    value: float | None
    n: int
    numerator: int | None
    excluded: int
    unit: str


class KpiGroup(BaseModel):
    """The KPIs of one group of tickets (`key`: its value per `by` dimension)."""

    key: dict[str, str]
    kpis: dict[str, Kpi]


def kpi(result: KpiResult) -> Kpi:
    """A `KpiResult` as JSON (its exclusions counted, not listed)."""
    return Kpi(
        value=result.value,
        n=result.sample_size,
        numerator=result.numerator,
        excluded=len(result.excluded),
        unit=result.unit,
    )


# -- routes ------------------------------------------------------------------------------

router = APIRouter()


@router.post("/tickets", response_model=TicketView, status_code=201)
def open_ticket(body: OpenTicket, desk: Desk, session: Db, actor: Who) -> TicketView:
    """Log a new ticket, owned by the service desk."""
    at = desk.clock()
    ticket = Ticket.open(
        id=f"INC-{uuid.uuid4().hex[:12].upper()}",
        owner_group=desk.desk,
        at=at,
        actor=actor,
        config=desk.config,
        **body.model_dump(),
    )
    with desk.store.bind(session).unit_of_work() as uow:
        uow.tickets.add(ticket)
        uow.commit()
    session.execute(insert(audit).values(ticket=ticket.id, action="open", actor=actor.id, at=at))
    return ticket_view(ticket)


@router.post("/tickets/{ticket_id}/assign", response_model=TicketView)
def assign(ticket_id: str, body: Assign, desk: Desk, session: Db, actor: Who) -> TicketView:
    """Send a new ticket to its first group."""
    group = desk.group(body.group)
    return change(
        desk,
        session,
        actor,
        ticket_id,
        "assign",
        lambda t, at: t.assign(group, at=at, actor=actor, reason=body.reason),
    )


@router.post("/tickets/{ticket_id}/start", response_model=TicketView)
def start(ticket_id: str, desk: Desk, session: Db, actor: Who) -> TicketView:
    """Start work on a queued ticket (an unassigned one goes to the actor)."""
    return change(
        desk, session, actor, ticket_id, "start", lambda t, at: t.start(at=at, actor=actor)
    )


@router.post("/tickets/{ticket_id}/escalate", response_model=TicketView)
def escalate(ticket_id: str, body: Escalate, desk: Desk, session: Db, actor: Who) -> TicketView:
    """Escalate to the next tier; an incomplete handover is refused naming every gap."""
    group, h = desk.group(body.group), body.handover
    handover = Handover(
        description=h.description,
        attempts=[SolutionAttempt(a.action, a.result) for a in h.attempts],
        ci_refs=h.ci_refs,
        priority=None if h.priority is None else Priority[h.priority],
        impact=h.impact,
        hypothesis=h.hypothesis,
    )
    target = None if body.target is None else L3Target(**body.target.model_dump())
    return change(
        desk,
        session,
        actor,
        ticket_id,
        "escalate",
        lambda t, at: t.escalate(group, handover, at=at, actor=actor, target=target),
    )


@router.post("/tickets/{ticket_id}/hold", response_model=TicketView)
def hold(ticket_id: str, body: Hold, desk: Desk, session: Db, actor: Who) -> TicketView:
    """Pause work for a configured reason."""
    reason = HoldReason(body.reason)
    return change(
        desk, session, actor, ticket_id, "hold", lambda t, at: t.hold(reason, at=at, actor=actor)
    )


@router.post("/tickets/{ticket_id}/resume", response_model=TicketView)
def resume(ticket_id: str, body: Resume, desk: Desk, session: Db, actor: Who) -> TicketView:
    """Resume work on a held ticket."""
    return change(
        desk,
        session,
        actor,
        ticket_id,
        "resume",
        lambda t, at: t.resume(body.cause, at=at, actor=actor),
    )


@router.post("/tickets/{ticket_id}/resolve", response_model=TicketView)
def resolve(ticket_id: str, body: Resolve, desk: Desk, session: Db, actor: Who) -> TicketView:
    """Resolve with a configured resolution code."""
    codes = {c.code: c for c in desk.config.resolution_codes}
    if body.code not in codes:
        raise UnknownResolutionCode(f"{body.code!r}; configured codes: {', '.join(codes)}")
    resolution = Resolution(codes[body.code], body.notes)
    return change(
        desk,
        session,
        actor,
        ticket_id,
        "resolve",
        lambda t, at: t.resolve(resolution, at=at, actor=actor),
    )


@router.get("/tickets/{ticket_id}", response_model=TicketView)
def get_ticket(ticket_id: str, desk: Desk, session: Db, _: Who) -> TicketView:
    """One ticket's current state."""
    with desk.store.bind(session).unit_of_work() as uow:
        return ticket_view(uow.tickets.get(ticket_id))


@router.get("/tickets", response_model=TicketPage)
def list_tickets(
    desk: Desk,
    session: Db,
    _: Who,
    tier: str | None = None,
    state: str | None = None,
    assignee: str | None = None,
    title_contains: str | None = None,
    order_by: str = "id",
    limit: int = 50,
    cursor: str | None = None,
) -> TicketPage:
    """A page of tickets, read from the stored views (no replay); filters are ANDed."""
    query = Query(tier=tier, state=state, assignee=assignee, title_contains=title_contains)
    with desk.store.bind(session).unit_of_work() as uow:
        page = uow.tickets.list(query, order_by=order_by, limit=limit, cursor=cursor)
    return TicketPage(items=list(page.items), next_cursor=page.next_cursor)


@router.get("/tickets/{ticket_id}/sla", response_model=list[SlaView])
def ticket_sla(ticket_id: str, desk: Desk, session: Db, _: Who) -> list[SlaView]:
    """Where each configured SLA clock of the ticket stands now."""
    with desk.store.bind(session).unit_of_work() as uow:
        ticket = uow.tickets.get(ticket_id)
    at = desk.clock()
    return [sla_view(sla_status(ticket, target, at)) for target in desk.sla_targets]


@router.get("/kpis", response_model=list[KpiGroup])
def kpis(
    desk: Desk, session: Db, _: Who, by: Annotated[list[Dimension] | None, Param()] = None
) -> list[KpiGroup]:
    """The standard KPIs and SLA compliance over the stored tickets, grouped `by` dimensions."""
    at = desk.clock()
    metrics = [
        *standard_metrics().values(),
        *(sla_compliance_metric(target, at=at) for target in desk.sla_targets),
    ]
    with desk.store.bind(session).unit_of_work() as uow:
        rows = kpi_table(uow.tickets.find(Query()), by=by or (), metrics=metrics)
    return [
        KpiGroup(key=dict(row.key), kpis={name: kpi(r) for name, r in row.results.items()})
        for row in rows
    ]


# -- errors: one handler for every ItilL2Error, by its category ---------------------------


def library_error(_request: Request, exc: Exception) -> JSONResponse:
    """An `ItilL2Error` as its category's status and `{"error": category, "detail": ...}`."""
    assert isinstance(exc, ItilL2Error)
    status = exc.category.http_status
    detail = str(exc)
    if status >= 500:  # a server fault: logged here, not shown to the caller
        log.error("itil_l2 %s", exc.category.value, exc_info=exc)
        detail = "server fault; see the server log"
    return JSONResponse({"error": exc.category.value, "detail": detail}, status_code=status)


def malformed_request(_request: Request, exc: Exception) -> JSONResponse:
    """A body or parameter FastAPI refused, in the same shape as the library's errors."""
    assert isinstance(exc, RequestValidationError)
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return JSONResponse({"error": ErrorCategory.INVALID_INPUT.value, "detail": detail}, 422)


def create_app(
    engine_or_sessionmaker: Engine | sessionmaker[Session],
    *,
    config: WorkflowConfig | None = None,
    actors: Mapping[str, Actor] = ACTORS,
    groups: Mapping[str, SupportGroup] = GROUPS,
    desk: str = "service-desk",
    sla_targets: Sequence[SlaTarget] = SLA_TARGETS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    """The helpdesk API over an engine (or a `sessionmaker`) whose tables exist."""
    sessions = (
        engine_or_sessionmaker
        if isinstance(engine_or_sessionmaker, sessionmaker)
        else sessionmaker(engine_or_sessionmaker)
    )
    config = config or WorkflowConfig()
    app = FastAPI(title="Helpdesk (itil_l2 example)")
    app.state.helpdesk = Helpdesk(
        store=SqlAlchemyStore(sessions, configs={Ticket: config}),
        sessions=sessions,
        config=config,
        actors=actors,
        groups=groups,
        desk=groups[desk],
        sla_targets=sla_targets,
        clock=clock,
    )
    app.include_router(router)
    app.add_exception_handler(ItilL2Error, library_error)
    app.add_exception_handler(RequestValidationError, malformed_request)
    return app
