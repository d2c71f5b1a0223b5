"""A safe arithmetic evaluator: `evaluate("2*(3+4)^2")` -> 98. Never `eval`.

The text is parsed with `ast` in "eval" mode and only numbers, + - * / // % **, parentheses, a few
constants (pi, e, tau) and functions (sqrt, sin, cos, tan, asin, acos, atan, log, ln, log10, log2,
exp, abs, round, floor, ceil, min, max, factorial) are evaluated; anything else is refused with a
reason. Sizes are bounded, so "9**9**9" is an error, not a hung process.
"""
from __future__ import annotations

import ast
import math
import operator
import re
import warnings

MAX_LENGTH = 300
MAX_NODES = 200
MAX_INT_BITS = 4096


class CalcError(ValueError):
    """The expression cannot be evaluated; the message says why."""


_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau, "π": math.pi}


def _factorial(x):
    if x != int(x) or x < 0:
        raise CalcError("factorial needs a whole number ≥ 0")
    if x > 1000:
        raise CalcError("that factorial is too large")
    return math.factorial(int(x))


def _log(x, base=None):
    if x <= 0:
        raise CalcError("log needs a positive number")
    return math.log(x) if base is None else math.log(x, base)


_FUNCTIONS = {
    "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin,
    "acos": math.acos, "atan": math.atan, "log": _log, "ln": math.log, "log10": math.log10,
    "log2": math.log2, "exp": math.exp, "abs": abs, "round": round, "floor": math.floor,
    "ceil": math.ceil, "min": min, "max": max, "factorial": _factorial,
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}

# Words and symbols people type, rewritten to Python operators (applied to lower-case text).
_WORDS = [
    (r"(\d+(?:\.\d+)?)\s*(?:%|percent)\s+of\s+", r"\1/100*"),
    (r"square root of|root of", "sqrt "), (r"\bsquared\b", "**2"), (r"\bcubed\b", "**3"),
    (r"to the power of|raised to(?: the power of)?", "**"),
    (r"multiplied by|\btimes\b", "*"), (r"divided by|\bover\b", "/"),
    (r"\bplus\b", "+"), (r"\bminus\b", "-"), (r"\bmod(?:ulo)?\b", "%"),
    (r"(?<=[\d)\s])x(?=[\s\d(])", "*"), ("×", "*"), ("·", "*"), ("÷", "/"), ("−", "-"), ("–", "-"),
    (r"\^", "**"), (r"(\d),(\d{3})\b", r"\1\2"),
]


def normalize(text: str) -> str:
    """"12 times 7" -> "12 * 7"; "15% of 80" -> "15/100*80"; "2^8" -> "2**8"."""
    s = text.strip().lower().rstrip("?=. ")
    for pattern, repl in _WORDS:
        s = re.sub(pattern, repl, s)
    # "sqrt 16" -> "sqrt(16)" for a bare number argument
    s = re.sub(r"\b(sqrt|sin|cos|tan|ln|log|exp|abs)\s+(\d+(?:\.\d+)?)", r"\1(\2)", s)
    s = re.sub(r"(\d+)\s*!", r"factorial(\1)", s)
    return re.sub(r"\s+", " ", s).strip()


def looks_like_math(text: str) -> bool:
    """True for text that is an arithmetic expression after `normalize` (has a number and an operator,
    or a function call)."""
    s = normalize(text)
    if not re.search(r"\d|\bpi\b|π", s):
        return False
    if not re.fullmatch(r"[\d\s.+\-*/%()a-zπ,!]*", s):
        return False
    words = set(re.findall(r"[a-z]+", s)) - set(_FUNCTIONS) - set(_CONSTANTS)
    if words:
        return False
    calls = "|".join(_FUNCTIONS)
    return bool(re.search(r"[+\-*/%]|\b(?:" + calls + r")\(", s))


def evaluate(text: str):
    """The value of an arithmetic expression (int when exact, else float)."""
    if len(text) > MAX_LENGTH:
        raise CalcError(f"the expression is longer than {MAX_LENGTH} characters")
    expr = normalize(text)
    if not expr:
        raise CalcError("the expression is empty")
    try:
        with warnings.catch_warnings():   # "1and 2" is only a SyntaxWarning to Python: not an expression here
            warnings.simplefilter("error", SyntaxWarning)
            tree = ast.parse(expr, mode="eval")
    except (SyntaxError, SyntaxWarning):
        raise CalcError(f"“{text.strip()}” is not an expression I can read") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise CalcError("the expression is too long")
    try:
        value = _eval(tree.body)
    except ZeroDivisionError:
        raise CalcError("division by zero") from None
    except OverflowError:
        raise CalcError("the result is too large") from None
    except (ValueError, TypeError) as e:
        if isinstance(e, CalcError):
            raise
        raise CalcError(f"math error: {e}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise CalcError("the result is not a finite number")
    return value


def _eval(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise CalcError(f"I don't know “{node.id}”")
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, complex):
            raise CalcError("the result is not a real number")
        if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
            raise CalcError("the result is too large")
        return result
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        fn = _FUNCTIONS.get(node.func.id)
        if fn is None:
            raise CalcError(f"I don't know the function “{node.func.id}”")
        return fn(*[_eval(a) for a in node.args])
    raise CalcError("only numbers, + - * / % ^, brackets and math functions are allowed")


def _check_power(base, exp) -> None:
    if abs(exp) > 10000:
        raise CalcError("that exponent is too large")
    if isinstance(base, int) and isinstance(exp, int) and exp > 0 and base not in (0, 1, -1):
        if exp * max(1, abs(base).bit_length()) > MAX_INT_BITS:
            raise CalcError("the result is too large")


def format_number(value) -> str:
    """84 -> "84"; 0.1+0.2 -> "0.3"; 1e20 -> "1e+20"; 2/3 -> "0.666666666667"."""
    if isinstance(value, int):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.12g}"
    return text
