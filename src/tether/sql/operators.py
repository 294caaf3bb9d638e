"""Operator tables of the SQL expression layer: how tightly each operator binds (where the
compiler's parentheses go), which operators compare, and each comparison's negation."""

from __future__ import annotations

import operator as _op

# Precedence of each operator: higher binds tighter. Used to decide where parentheses go.
PRECEDENCE = {
    "unary_minus": 10,
    "*": 8, "/": 8, "%": 8,
    "+": 7, "-": 7, "||": 7,
    "=": 5, "!=": 5, "<": 5, "<=": 5, ">": 5, ">=": 5,
    "like": 5, "not_like": 5, "ilike": 5, "not_ilike": 5,
    "in": 5, "not_in": 5, "is": 5, "is_not": 5, "between": 5, "not_between": 5,
    "is_distinct_from": 5, "is_not_distinct_from": 5, "custom": 5,
    "not": 4, "exists": 4,
    "and": 3,
    "or": 2,
    "comma": 0,
}
COMPARISON = {"=", "!=", "<", "<=", ">", ">="}
COMPARISON_PRECEDENCE = PRECEDENCE["="]
#: Operators whose result is a boolean comparison of both sides.
BOOLEAN_OPS = frozenset(COMPARISON | {
    "like", "not_like", "ilike", "not_ilike", "is", "is_not", "is_distinct_from",
    "is_not_distinct_from"})
NEGATIONS = {
    "=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
    "like": "not_like", "not_like": "like", "ilike": "not_ilike", "not_ilike": "ilike",
    "in": "not_in", "not_in": "in", "is": "is_not", "is_not": "is",
    "between": "not_between", "not_between": "between",
    "is_distinct_from": "is_not_distinct_from", "is_not_distinct_from": "is_distinct_from",
}
# Python-level truth of `a == b` between two elements: lets columns sit in lists and sets.
IDENTITY_CHECK = {"=": _op.is_, "!=": _op.is_not}
