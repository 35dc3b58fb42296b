"""The handlers, one per resource kind, keyed by kind (`Op.kind`)."""

from __future__ import annotations

from tenantry.execution.handlers.base import Handler
from tenantry.execution.handlers.client import ClientHandler
from tenantry.execution.handlers.division import DivisionHandler
from tenantry.execution.handlers.group import GroupHandler
from tenantry.execution.handlers.queue import QueueHandler
from tenantry.execution.handlers.sso import SsoHandler
from tenantry.execution.handlers.user import UserHandler

HANDLERS: dict[str, Handler] = {
    h.kind: h
    for h in (DivisionHandler(), GroupHandler(), QueueHandler(), ClientHandler(), SsoHandler(), UserHandler())
}


def handler_for(op: str) -> Handler:
    from tenantry.planning.ops import Op

    return HANDLERS[Op(op).kind]


__all__ = ["HANDLERS", "Handler", "handler_for"]
