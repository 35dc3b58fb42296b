"""SCIM filters: a bounded parser (eq, pr, and, or, not, value paths) and their evaluation.

Hand-written on purpose: scim2-filter-parser 0.7 (the library issue 10 suggests) was tried and
rejects what the platform and IdPs send - numbers (`x eq 12`), escaped quotes (`"q\\"x"`) and
the bare values the Genesys docs show (`userName eq a@b.c`) - and does not tell the string
"true" from the literal true. Bounds (length, comparisons, nesting) keep a hostile filter a 400.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .attributes import IDENT
from .errors import ScimError, invalid_filter

# AST: ("or", a, b) | ("and", a, b) | ("not", a) | ("eq", key, value) | ("pr", key) | ("vp", key, ast)
OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr")
_MAX_DEPTH = 32
MAX_TERMS = 200  # more comparisons than any IdP sends: a 3,000-term filter is refused, not evaluated
MAX_FILTER = 8192  # characters
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()[]":
            out.append(("punct", c))
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise invalid_filter(f"Unterminated string at position {i} of the filter.")
            try:
                out.append(("str", json.loads(text[i : j + 1])))
            except ValueError:
                raise invalid_filter(f"Invalid string literal at position {i} of the filter.") from None
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()[]"':
                j += 1
            out.append(("word", text[i:j]))
            i = j
    return out


class _Parser:
    def __init__(self, text: str, resolver: Callable[[str], Any]) -> None:
        if len(text) > MAX_FILTER:
            raise invalid_filter(f"The filter is longer than {MAX_FILTER} characters.")
        self.terms = 0
        self.toks = _tokens(text)
        self.pos = 0
        self.resolver = resolver
        self.depth = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None:
            raise invalid_filter("The filter ends too early.")
        self.pos += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "word" and tok[1].lower() == word:
            self.pos += 1
            return True
        return False

    def expect(self, punct: str) -> None:
        tok = self.take()
        if tok != ("punct", punct):
            raise invalid_filter(f"Expected {punct!r} in the filter, found {tok[1]!r}.")

    def parse(self) -> tuple:
        if not self.toks:
            raise invalid_filter("The filter is empty.")
        node = self.expr()
        if self.peek() is not None:
            raise invalid_filter(f"Unexpected {self.peek()[1]!r} in the filter.")  # type: ignore[index]
        return node

    def expr(self) -> tuple:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise invalid_filter("The filter is nested too deeply.")
        node = self.term()
        while self.keyword("or"):
            node = ("or", node, self.term())
        self.depth -= 1
        return node

    def term(self) -> tuple:
        node = self.factor()
        while self.keyword("and"):
            node = ("and", node, self.factor())
        return node

    def factor(self) -> tuple:
        if self.keyword("not"):
            self.expect("(")
            inner = self.expr()
            self.expect(")")
            return ("not", inner)
        tok = self.take()
        if tok == ("punct", "("):
            inner = self.expr()
            self.expect(")")
            return inner
        if tok[0] != "word":
            raise invalid_filter(f"Expected an attribute in the filter, found {tok[1]!r}.")
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise invalid_filter(f"The filter has more than {MAX_TERMS} comparisons.")
        try:
            key = self.resolver(tok[1])
        except ScimError as err:
            raise invalid_filter(err.message) from None
        nxt = self.peek()
        if nxt == ("punct", "["):
            self.pos += 1
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise invalid_filter("The filter is nested too deeply.")
            outer, self.resolver = self.resolver, element_key
            inner = self.expr()
            self.resolver = outer
            self.depth -= 1
            self.expect("]")
            return ("vp", key, inner)
        op_tok = self.take()
        op = str(op_tok[1]).lower() if op_tok[0] == "word" else ""
        if op not in OPERATORS:
            raise invalid_filter(f"Expected an operator after {tok[1]!r}, found {op_tok[1]!r}.")
        if op == "pr":
            return ("pr", key)
        if op != "eq":
            raise invalid_filter(f"The operator {op!r} is not supported; use eq, and, or.")
        return ("eq", key, self.value())

    def value(self) -> Any:
        kind, raw = self.take()
        if kind == "str":
            return raw
        if kind != "word":
            raise invalid_filter(f"Expected a value in the filter, found {raw!r}.")
        low = raw.lower()
        if low in ("true", "false"):
            return low == "true"
        if low == "null":
            return None
        if _NUMBER.fullmatch(raw):
            return float(raw) if any(c in raw for c in ".eE") else int(raw)
        if low in ("and", "or", "not"):
            raise invalid_filter(f"Expected a value in the filter, found {raw!r}.")
        return raw  # a bare word: the Genesys docs show unquoted values


def element_key(path: str) -> tuple[str, str, str | None]:
    """Inside `attr[...]` the names are sub-attributes of the elements."""
    if not IDENT.fullmatch(path):
        raise invalid_filter(f"{path!r} is not a sub-attribute name.")
    return ("", path, None)


def parse_filter(text: str, resolver: Callable[[str], Any]) -> tuple:
    return _Parser(text, resolver).parse()


def mentions(node: tuple, attr: str) -> bool:
    kind = node[0]
    if kind in ("or", "and"):
        return mentions(node[1], attr) or mentions(node[2], attr)
    if kind == "not":
        return mentions(node[1], attr)
    return node[1][1] == attr


Getter = Callable[[tuple], tuple[list[Any], bool]]


def get_ci(d: dict, key: str) -> Any:
    if key in d:
        return d[key]
    low = key.lower()
    return next((v for k, v in d.items() if k.lower() == low), None)


def _scalars(elements: list[Any], sub: str | None) -> list[Any]:
    if sub:
        return [get_ci(e, sub) for e in elements if isinstance(e, dict)]
    out = []
    for e in elements:
        if isinstance(e, dict):
            out.append(e["value"] if "value" in e else e.get("name"))
        else:
            out.append(e)
    return out


def _equal(have: Any, want: Any, exact: bool) -> bool:
    if isinstance(have, bool) and isinstance(want, str) and want.lower() in ("true", "false"):
        want = want.lower() == "true"
    if isinstance(want, bool) or isinstance(have, bool):
        return have is want
    if isinstance(want, str) and isinstance(have, str):
        return have == want if exact else have.lower() == want.lower()
    if isinstance(want, int | float) and isinstance(have, int | float):
        return have == want
    return False


def evaluate(node: tuple, get: Getter) -> bool:
    kind = node[0]
    if kind == "or":
        return evaluate(node[1], get) or evaluate(node[2], get)
    if kind == "and":
        return evaluate(node[1], get) and evaluate(node[2], get)
    if kind == "not":
        return not evaluate(node[1], get)
    elements, exact = get(node[1])
    if kind == "vp":
        return any(isinstance(e, dict) and evaluate(node[2], element_getter(e)) for e in elements)
    values = [v for v in _scalars(elements, node[1][2]) if v not in (None, "")]
    if kind == "pr":
        return bool(values)
    want = node[2]
    if want is None:
        return not values
    return any(_equal(v, want, exact) for v in values)


def element_getter(element: dict) -> Getter:
    def get(key: tuple) -> tuple[list[Any], bool]:
        value = get_ci(element, key[1])
        return ([] if value is None else [value]), key[1].lower() in ("value", "authority", "$ref")

    return get


def eq_pairs(node: tuple) -> dict[str, Any] | None:
    """The sub-attribute values an `a eq x and b eq y` filter pins, to create a missing element."""
    if node[0] == "eq" and isinstance(node[2], str | bool | int | float):
        return {node[1][1]: node[2]}
    if node[0] == "and":
        left, right = eq_pairs(node[1]), eq_pairs(node[2])
        if left is not None and right is not None:
            return left | right
    return None
