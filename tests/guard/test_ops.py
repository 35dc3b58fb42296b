"""Issue 10, typed operations: every op has its payload model and its resource kind's handler, and
every op the planner emits for the example org round-trips through the validated plan file."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from tenantry.execution.handlers import HANDLERS, handler_for
from tenantry.planning.ops import SPECS, Op
from tenantry.planning.plan import Plan

from .conftest import DAY1, Tenantry


def test_every_op_has_a_spec_and_a_handler() -> None:
    assert set(SPECS) == set(Op)
    for op in Op:
        assert op in handler_for(op).ops, op
    assert {h.kind for h in HANDLERS.values()} == {op.kind for op in Op}
    assert Op.USER_MOVE == "user.move"  # comparisons with plain strings keep working


@pytest.mark.parametrize(
    "op,items",
    [
        (Op.GROUP_GRANTS_ADD, [["Agent"]]),
        (Op.USER_CREATE, [{"name": "X"}]),
        (Op.USER_UPDATE, [{"state": "deleted"}]),
        (Op.CLIENT_CREATE, [{"grants": [], "ttl": 10}]),
        (Op.QUEUE_CREATE, [{"division": "D"}, {"division": "E"}]),
    ],
)
def test_malformed_items_are_refused_by_their_op(op: Op, items: list) -> None:
    with pytest.raises(ValidationError):
        op.spec.validate(items)


def test_a_real_plan_round_trips_through_the_plan_file_model(tenantry: Tenantry) -> None:
    plan = tenantry.plan(DAY1)
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert [(b.id, b.op, b.target, b.items) for b in again.batches] == [
        (b.id, b.op, b.target, b.items) for b in plan.batches
    ]
    assert {b.op for b in plan.batches} >= {Op.DIVISION_CREATE, Op.GROUP_CREATE, Op.USER_CREATE, Op.SSO_PUT}
