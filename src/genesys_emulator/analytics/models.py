"""Conversation detail queries over seeded conversations that carry division ids.

Two ways in, as on the platform: the synchronous query (pages of at most 100, page numbers, an
interval of at most MAX_SYNC_DAYS) and the asynchronous details jobs (any interval, polled, read
through a cursor). Jobs live in `jobs.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..errors import bad_request

MAX_PAGE = 100
MAX_SYNC_DAYS = 31  # a longer interval is for the asynchronous jobs API


def parse_interval(text: object) -> tuple[datetime, datetime]:
    if not isinstance(text, str) or "/" not in text:
        raise bad_request("interval is required, as ISO-8601 start/end.", "invalid.value")
    start, end = text.split("/", 1)
    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"interval {text!r} is not ISO-8601 start/end.", "invalid.value") from None
    if b <= a:
        raise bad_request("interval end must be after its start.", "invalid.value")
    return a, b


OPERATORS = ("matches", "exists", "notexists")


def check_filter(f: object, where: str) -> dict:
    """A conversation filter's shape, checked (recursively, clauses too) before any matching."""
    if not isinstance(f, dict):
        raise bad_request(f"{where} must be an object.", "invalid.value")
    kind = f.get("type")
    if kind is not None and (not isinstance(kind, str) or kind.lower() not in ("and", "or")):
        raise bad_request(f"{where}.type must be and or or.", "invalid.value")
    for key in ("predicates", "clauses"):
        if f.get(key) is not None and not isinstance(f[key], list):
            raise bad_request(f"{where}.{key} must be an array.", "invalid.value")
    for i, p in enumerate(f.get("predicates") or []):
        at = f"{where}.predicates[{i}]"
        if not isinstance(p, dict):
            raise bad_request(f"{at} must be an object.", "invalid.value")
        for key in ("type", "dimension", "value"):
            if p.get(key) is not None and not isinstance(p[key], str):
                raise bad_request(f"{at}.{key} must be a string.", "invalid.value")
        op = p.get("operator")
        if op is not None and (not isinstance(op, str) or op.lower() not in OPERATORS):
            raise bad_request(f"{at}.operator must be one of {', '.join(OPERATORS)}.", "invalid.value")
    for i, c in enumerate(f.get("clauses") or []):
        check_filter(c, f"{where}.clauses[{i}]")
    return f


def _predicate(conv: dict, p: dict) -> bool:
    dim = p.get("dimension")
    value = p.get("value")
    op = (p.get("operator") or "matches").lower()
    if dim == "divisionId":
        hit = value in conv["divisionIds"]
    elif dim == "conversationId":
        hit = conv["conversationId"] == value
    elif dim == "originatingDirection":
        hit = conv.get("originatingDirection") == value
    else:
        raise bad_request(f"dimension {dim!r} is not supported by this emulator.", "invalid.value")
    if op == "exists":
        return True
    return not hit if op == "notexists" else hit


def _filter(conv: dict, f: dict) -> bool:
    preds = f.get("predicates") or []
    clauses = f.get("clauses") or []
    results = [_predicate(conv, p) for p in preds]
    results += [_filter(conv, c) for c in clauses]
    if not results:
        return True
    return any(results) if (f.get("type") or "and").lower() == "or" else all(results)


def check_sync_interval(start: datetime, end: datetime) -> None:
    if end - start > timedelta(days=MAX_SYNC_DAYS):
        raise bad_request(
            f"The interval exceeds the maximum of {MAX_SYNC_DAYS} days for a synchronous details query; "
            "use POST /api/v2/analytics/conversations/details/jobs.",
            "invalid.value",
        )


def select(conversations: list[dict], body: dict, visible: set[str] | None) -> list[dict]:
    """The conversations of `body`'s interval and filters that the caller may see, in order."""
    start, end = parse_interval(body.get("interval"))
    filters = body.get("conversationFilters") or []
    if not isinstance(filters, list):
        raise bad_request("conversationFilters must be an array.", "invalid.value")
    filters = [check_filter(f, f"conversationFilters[{i}]") for i, f in enumerate(filters)]
    if body.get("order") not in (None, "asc", "desc"):
        raise bad_request("order must be asc or desc.", "invalid.value")
    hits = []
    for c in conversations:
        t = datetime.fromisoformat(c["conversationStart"].replace("Z", "+00:00"))
        if not start <= t < end:
            continue
        if visible is not None and not visible.intersection(c["divisionIds"]):
            continue
        if all(_filter(c, f) for f in filters):
            hits.append(c)
    hits.sort(key=lambda c: c["conversationStart"], reverse=(body.get("order") == "desc"))
    return hits


def query(conversations: list[dict], body: dict, visible: set[str] | None) -> dict:
    """visible=None means every division (a `*` grant)."""
    check_sync_interval(*parse_interval(body.get("interval")))
    paging = body.get("paging") or {}
    if not isinstance(paging, dict):
        raise bad_request("paging must be an object with pageSize and pageNumber.", "invalid.value")
    size = paging.get("pageSize", 25)
    number = paging.get("pageNumber", 1)
    if not isinstance(size, int) or not 1 <= size <= MAX_PAGE:
        raise bad_request(f"paging.pageSize must be between 1 and {MAX_PAGE}.", "invalid.value")
    if not isinstance(number, int) or number < 1:
        raise bad_request("paging.pageNumber must be at least 1.", "invalid.value")
    hits = select(conversations, body, visible)
    page = hits[(number - 1) * size : number * size]
    out: dict = {"totalHits": len(hits)}
    if page:
        out["conversations"] = page
    return out
