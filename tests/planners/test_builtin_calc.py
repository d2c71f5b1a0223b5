"""The calculator's evaluator: correct arithmetic, people's words, and no way to run code."""
from __future__ import annotations

import math
import warnings
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuralos.planners.builtin.calc import CalcError, evaluate, format_number, looks_like_math


@pytest.mark.parametrize("text, value", [
    ("12*7", 84), ("12 times 7", 84), ("12 x 7", 84), ("2^10", 1024), ("2 to the power of 8", 256),
    ("15% of 80", 12), ("10 divided by 4", 2.5), ("(1+2)*3", 9), ("-3^2", -9), ("sqrt 16", 4),
    ("square root of 81", 9), ("5!", 120), ("1,000 + 1", 1001), ("7 mod 3", 1), ("0.1+0.2", "0.3"),
    ("2/3", "0.666666666667"), ("max(3, 9, 4)", 9), ("round(2.567, 2)", 2.57), ("pi", "3.14159265359"),
    ("12 ÷ 4 × 3 − 1", 8),
])
def test_evaluates(text, value):
    result = evaluate(text)
    if isinstance(value, str):
        assert format_number(result) == value
    else:
        assert result == pytest.approx(value)


@pytest.mark.parametrize("text, why", [
    ("__import__('os').system('x')", "only numbers"), ("__import__('os')", "don't know the function"), ("open('/etc/passwd')", "don't know"),
    ("().__class__", "only numbers"), ("[1, 2]", "only numbers"), ("x + 1", "don't know “x”"),
    ("1/0", "division by zero"), ("9**9**9", "exponent is too large"), ("2**5000", "too large"),
    ("factorial(100000)", "too large"), ("1e308*10", "not a finite number"), ("(-1)**0.5", "not a real"),
    ("1 +", "not an expression"), ("sqrt(-1)", "math error"), ("1" * 400, "longer than"),
    ("1and 2", "not an expression"),            # only a SyntaxWarning to Python, never printed to the user
])
def test_refuses_with_a_reason(text, why):
    with warnings.catch_warnings(record=True) as printed:
        warnings.simplefilter("always")
        with pytest.raises(CalcError, match=why):
            evaluate(text)
    assert not printed, [str(w.message) for w in printed]


def test_what_counts_as_math():
    assert looks_like_math("12*7") and looks_like_math("3 plus 4") and looks_like_math("sqrt(2)")
    assert not looks_like_math("open notes") and not looks_like_math("42") and not looks_like_math("5 km in miles")


ints = st.integers(min_value=-1000, max_value=1000)


@st.composite
def expressions(draw, depth=0):
    """(text, exact value) of random + - * / trees over small integers."""
    if depth > 3 or draw(st.booleans()):
        n = draw(ints)
        return (f"({n})" if n < 0 else str(n)), Fraction(n)
    left, lv = draw(expressions(depth + 1))
    right, rv = draw(expressions(depth + 1))
    op = draw(st.sampled_from("+-*/"))
    if op == "/" and rv == 0:
        op = "*"
    value = {"+": lv + rv, "-": lv - rv, "*": lv * rv, "/": lv / rv if rv else None}[op]
    return f"({left} {op} {right})", value


@settings(max_examples=150, deadline=None)
@given(expressions())
def test_random_arithmetic_matches_exact_fractions(expr):
    text, value = expr
    got = evaluate(text)
    assert math.isclose(float(got), float(value), rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789+-*/^%().!, abcdefghijklmnopqrstuvwxyz_'[]", max_size=60))
def test_any_text_evaluates_or_is_refused_never_crashes(text):
    try:
        value = evaluate(text)
    except CalcError:
        return
    assert isinstance(value, (int, float))
