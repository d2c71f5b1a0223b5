"""The client-side functions of the basic catalog (validation, formatting, logic, openUrl) and the
minimal catalog (capitalize).

Every function takes its arguments already resolved (`args`, a dict named as in the catalog) and a
`Context` (the data model and template scope, which `formatString` needs for `${...}` expressions).
A function given arguments it cannot use raises `FunctionError`; `neuralos.a2ui.dynamic` turns that
into a safe default at render time. Formatting follows the en-US locale so frames are reproducible.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable

from neuralos.a2ui import pointer
from neuralos.resources import A2UI_SPEC


class FunctionError(ValueError):
    """A function call that cannot be evaluated (unknown name, missing or unusable argument)."""


@dataclass(frozen=True)
class OpenUrlRequest:
    """What `openUrl` returns: the shell asks the user before opening `url`; nothing is opened here."""

    url: str


class Context:
    """Where a function runs: a data model and the template scope that relative paths start from."""

    def __init__(self, data: Any, scope: str = "/"):
        self.data = data
        self.scope = scope

    def get(self, path: str) -> Any:
        """Value at an absolute or scope-relative path; None when absent."""
        try:
            return pointer.get(self.data, pointer.resolve(path, self.scope))
        except pointer.PointerError as e:
            raise FunctionError(f"bad data path {path!r}: {e}") from e


# -- coercions shared by the functions --------------------------------------------------------
def to_text(value: Any) -> str:
    """A value as display text: None -> "", booleans lowercase, numbers as JavaScript prints them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", repr(value))
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(to_text(v) for v in value)
    if isinstance(value, OpenUrlRequest):
        return value.url
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def truthy(value: Any) -> bool:
    """JavaScript truthiness (the data model is JSON): "", 0, NaN, null and false are false."""
    if isinstance(value, float) and math.isnan(value):
        return False
    if isinstance(value, (list, dict)):
        return True
    return bool(value)


def to_number(value: Any, name: str = "value") -> float | int:
    """A number from a number or numeric string; FunctionError otherwise."""
    if isinstance(value, bool) or value is None:
        raise FunctionError(f"{name} must be a number, not {to_text(value) or 'null'}")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise FunctionError(f"{name} must be a number, not {json.dumps(value, default=str)}")


def _int_arg(args: dict, name: str, default: int | None = None) -> int | None:
    if args.get(name) is None:
        return default
    n = to_number(args[name], name)
    if not math.isfinite(n) or n < 0 or n > 20 or n != int(n):
        raise FunctionError(f"{name} must be a whole number from 0 to 20, not {to_text(n)}")
    return int(n)


# -- validation -------------------------------------------------------------------------------
def required(args: dict, ctx: Context) -> bool:
    """True unless the value is null, an empty string or an empty list."""
    return args.get("value") not in (None, "", [])


def regex(args: dict, ctx: Context) -> bool:
    """True when the pattern matches somewhere in the value (like JavaScript's RegExp.test)."""
    pattern = args.get("pattern")
    if not isinstance(pattern, str):
        raise FunctionError("pattern must be a string")
    try:
        compiled = _compile(pattern)
    except re.error as e:
        raise FunctionError(f"bad regular expression {pattern!r}: {e}") from e
    return compiled.search(to_text(args.get("value"))) is not None


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def length(args: dict, ctx: Context) -> bool:
    """True when the value's length (characters, or items of a list) is within min..max."""
    value = args.get("value")
    n = len(value) if isinstance(value, list) else len(to_text(value))
    lo, hi = args.get("min"), args.get("max")
    return (lo is None or n >= to_number(lo, "min")) and (hi is None or n <= to_number(hi, "max"))


def numeric(args: dict, ctx: Context) -> bool:
    """True when the value parses as a number within min..max; false for non-numbers."""
    try:
        n = to_number(args.get("value"))
    except FunctionError:
        return False
    if isinstance(n, float) and math.isnan(n):
        return False
    lo, hi = args.get("min"), args.get("max")
    return (lo is None or n >= to_number(lo, "min")) and (hi is None or n <= to_number(hi, "max"))


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def email(args: dict, ctx: Context) -> bool:
    """True for a plausible address: local part, '@', and a dotted domain."""
    value = args.get("value")
    return isinstance(value, str) and len(value) <= 254 and _EMAIL.match(value) is not None


# -- formatting -------------------------------------------------------------------------------
def _decimal_text(n: float | int, decimals: int | None, grouping: bool) -> str:
    """en-US number text: fixed `decimals`, or up to 3 fraction digits when None (as Intl does)."""
    if isinstance(n, float) and not math.isfinite(n):
        return "NaN" if math.isnan(n) else ("∞" if n > 0 else "-∞")
    d = Decimal(repr(n)) if isinstance(n, float) else Decimal(n)
    places = 3 if decimals is None else decimals
    try:
        d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation as e:  # more digits than Decimal's context holds
        raise FunctionError(f"cannot format {to_text(n)} with {places} decimals") from e
    text = f"{abs(d):,f}" if grouping else f"{abs(d):f}"
    if decimals is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("-" if d < 0 else "") + text


def formatNumber(args: dict, ctx: Context) -> str:
    """The value with en-US grouping (unless `grouping` is false) and `decimals` fraction digits."""
    n = to_number(args.get("value"))
    return _decimal_text(n, _int_arg(args, "decimals"), args.get("grouping") is not False)


# Symbols as en-US Intl.NumberFormat shows them; other codes are shown as "XYZ 1.00".
_CURRENCY_SYMBOLS = {
    "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹", "KRW": "₩", "CAD": "CA$",
    "AUD": "A$", "NZD": "NZ$", "HKD": "HK$", "MXN": "MX$", "BRL": "R$", "TWD": "NT$", "ILS": "₪",
    "VND": "₫", "PHP": "₱", "XAF": "FCFA", "XOF": "F\u202fCFA",
}
_CURRENCY_DECIMALS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0,
                      "PYG": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 0, "LYD": 3}


def formatCurrency(args: dict, ctx: Context) -> str:
    """The value as an en-US currency string, e.g. "$1,234.50", "-€3.00", "CHF 12.00"."""
    code = args.get("currency")
    if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z]{3}", code):
        raise FunctionError(f"currency must be an ISO 4217 code like 'USD', not {json.dumps(code)}")
    code = code.upper()
    n = to_number(args.get("value"))
    decimals = _int_arg(args, "decimals", _CURRENCY_DECIMALS.get(code, 2))
    text = _decimal_text(n, decimals, args.get("grouping") is not False)
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    symbol = _CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{code}\u00a0{digits}"


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _parse_date(value: Any) -> datetime:
    """ISO 8601 text (date, time or both; 'Z' or an offset) or epoch milliseconds."""
    if isinstance(value, bool) or value is None:
        raise FunctionError(f"cannot read a date from {to_text(value) or 'null'}")
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError) as e:
            raise FunctionError(f"timestamp {to_text(value)} is out of range") from e
    if isinstance(value, str):
        text = value.strip()
        for parse in (datetime.fromisoformat, lambda t: datetime.combine(date.today(), time.fromisoformat(t))):
            try:
                return parse(text)
            except ValueError:
                continue
    raise FunctionError(f"cannot read a date from {json.dumps(value, default=str)} (use ISO 8601)")


def _name(full: str, width: int) -> str:
    """A month or day name at a TR35 width: 3 abbreviated, 4 full, 5 narrow, 6 short."""
    return {3: full[:3], 4: full, 5: full[:1], 6: full[:2]}.get(width, full)


def _date_field(dt: datetime, letter: str, n: int) -> str:
    if letter == "y":
        return f"{dt.year % 100:02d}" if n == 2 else f"{dt.year:0{n}d}"
    if letter in "ML":  # M, MM: number; MMM: Jan; MMMM: January; MMMMM: J
        return f"{dt.month:0{n}d}" if n <= 2 else _name(_MONTHS[dt.month - 1], n)
    if letter == "d":
        return f"{dt.day:0{n}d}"
    if letter == "E":  # E..EEE: Fri; EEEE: Friday; EEEEE: F; EEEEEE: Fr
        return _name(_DAYS[dt.weekday()], max(n, 3))
    if letter == "a":
        return "AM" if dt.hour < 12 else "PM"
    if letter == "h":
        return f"{(dt.hour % 12) or 12:0{n}d}"
    if letter == "H":
        return f"{dt.hour:0{n}d}"
    if letter == "K":
        return f"{dt.hour % 12:0{n}d}"
    if letter == "k":
        return f"{dt.hour or 24:0{n}d}"
    if letter == "m":
        return f"{dt.minute:0{n}d}"
    if letter == "s":
        return f"{dt.second:0{n}d}"
    if letter == "S":
        return f"{dt.microsecond:06d}"[:n].ljust(n, "0")
    raise FunctionError(f"unsupported date pattern letter {letter!r}")


_DATE_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+|'")


def formatDate(args: dict, ctx: Context) -> str:
    """The date in a Unicode TR35 pattern ('MMM d, yyyy', 'h:mm a', 'EEEE'); quoted text is literal.

    Times with an offset are shown in the local time zone (set TZ for reproducible output).
    """
    pattern = args.get("format")
    if not isinstance(pattern, str):
        raise FunctionError("format must be a date pattern string")
    dt = _parse_date(args.get("value"))
    if dt.tzinfo is not None:
        dt = dt.astimezone()
    out = []
    for m in _DATE_TOKEN.finditer(pattern):
        tok = m.group(0)
        if tok == "'":
            out.append("'")  # a lone quote (unbalanced) is kept as text
        elif tok.startswith("'"):
            out.append(tok[1:-1].replace("''", "'") if tok != "''" else "'")
        elif m.group(1):
            out.append(_date_field(dt, m.group(1), len(tok)))
        else:
            out.append(tok)
    return "".join(out)


def pluralize(args: dict, ctx: Context) -> str:
    """The string for the value's English plural category ('one' for 1, else 'other').

    Explicit `zero` and `two` strings are honoured for 0 and 2; a missing category falls back to `other`.
    """
    n = to_number(args.get("value"))
    category = {0: "zero", 1: "one", 2: "two"}.get(n) if math.isfinite(n) and n == int(n) else None
    if category == "one" or (category and args.get(category) is not None):
        return to_text(args.get(category, args.get("other")))
    return to_text(args.get("other"))


def capitalize(args: dict, ctx: Context) -> str:
    """The value with its first character upper-cased (the minimal catalog's one function)."""
    text = to_text(args.get("value"))
    return text[:1].upper() + text[1:]


def openUrl(args: dict, ctx: Context) -> OpenUrlRequest:
    """A request to open the URL; the shell asks the user first. Only absolute URLs are accepted."""
    url = args.get("url")
    if not isinstance(url, str) or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", url.strip()):
        raise FunctionError(f"url must be an absolute URL, not {json.dumps(url, default=str)}")
    return OpenUrlRequest(url.strip())


# -- logic ------------------------------------------------------------------------------------
def _values(args: dict) -> list:
    values = args.get("values")
    if not isinstance(values, list):
        raise FunctionError("values must be a list of booleans")
    return values


def and_(args: dict, ctx: Context) -> bool:
    """True when every value is true."""
    return all(truthy(v) for v in _values(args))


def or_(args: dict, ctx: Context) -> bool:
    """True when at least one value is true."""
    return any(truthy(v) for v in _values(args))


def not_(args: dict, ctx: Context) -> bool:
    """The negation of the value."""
    return not truthy(args.get("value"))


# -- formatString: ${...} interpolation -------------------------------------------------------
class _Parser:
    """Reads `${expression}` templates: paths (`/a/b`, `rel/path`) and calls (`fn(name: value, ...)`).

    Argument values are quoted strings, numbers, true/false/null, nested `${...}`, calls or paths.
    `\\${` is a literal `${`.
    """

    def __init__(self, text: str, ctx: Context, depth: int):
        self.text, self.i, self.ctx, self.depth = text, 0, ctx, depth

    def fail(self, what: str):
        raise FunctionError(f"formatString: {what} at column {self.i + 1} of {self.text!r}")

    def template(self) -> str:
        out, t = [], self.text
        while self.i < len(t):
            if t.startswith("\\${", self.i):
                out.append("${")
                self.i += 3
            elif t.startswith("${", self.i):
                self.i += 2
                out.append(to_text(self.expression()))
                self.expect("}")
            else:
                nxt = min((j for j in (t.find("${", self.i), t.find("\\${", self.i)) if j >= 0), default=len(t))
                out.append(t[self.i:nxt])
                self.i = nxt
        return "".join(out)

    def skip(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def expect(self, ch: str) -> None:
        self.skip()
        if not self.text.startswith(ch, self.i):
            self.fail(f"expected {ch!r}" if self.i < len(self.text) else f"missing {ch!r}")
        self.i += 1

    def expression(self) -> Any:
        self.skip()
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\s*\(").match(self.text, self.i)
        if m:
            return self.call(m)
        return self.path("}")

    def path(self, stops: str) -> Any:
        start = self.i
        while self.i < len(self.text) and self.text[self.i] not in stops:
            self.i += 1
        path = self.text[start:self.i].strip()
        if not path:
            self.fail("empty expression")
        return self.ctx.get(path)

    def call(self, m: re.Match) -> Any:
        name = m.group(0)[:-1].strip()
        self.i = m.end()
        self.depth += 1
        if self.depth > MAX_CALL_DEPTH:
            raise FunctionError(f"function calls nested deeper than {MAX_CALL_DEPTH}")
        args: dict[str, Any] = {}
        self.skip()
        if self.text.startswith(")", self.i):
            self.i += 1
        else:
            while True:
                self.skip()
                km = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*:").match(self.text, self.i)
                if not km:
                    self.fail(f"expected a named argument (name: value) in {name}()")
                self.i = km.end()
                args[km.group(1)] = self.value()
                self.skip()
                if self.text.startswith(",", self.i):
                    self.i += 1
                    continue
                self.expect(")")
                break
        result = call(name, args, self.ctx, self.depth)
        self.depth -= 1
        return result

    def value(self) -> Any:
        self.skip()
        t = self.text
        if t.startswith("${", self.i):
            self.i += 2
            v = self.expression()
            self.expect("}")
            return v
        if self.i < len(t) and t[self.i] in "'\"":
            quote, self.i, buf = t[self.i], self.i + 1, []
            while self.i < len(t) and t[self.i] != quote:
                if t[self.i] == "\\" and self.i + 1 < len(t):
                    self.i += 1
                buf.append(t[self.i])
                self.i += 1
            if self.i >= len(t):
                self.fail("unterminated string")
            self.i += 1
            return "".join(buf)
        m = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?(?=\s*[,)])").match(t, self.i)
        if m:
            self.i = m.end()
            return float(m.group(0)) if m.group(1) or m.group(2) else int(m.group(0))
        m = re.compile(r"(true|false|null)(?=\s*[,)])").match(t, self.i)
        if m:
            self.i = m.end()
            return {"true": True, "false": False, "null": None}[m.group(1)]
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\s*\(").match(t, self.i)
        if m:
            return self.call(m)
        return self.path(",)}")


def formatString(args: dict, ctx: Context, depth: int = 0) -> str:
    """The value with every `${/path}`, `${relative/path}` and `${fn(name: value)}` replaced by its text."""
    value = args.get("value")
    if not isinstance(value, str):
        return to_text(value)
    return _Parser(value, ctx, depth).template()


# -- registry ---------------------------------------------------------------------------------
FUNCTIONS: dict[str, Callable[[dict, Context], Any]] = {
    "required": required, "regex": regex, "length": length, "numeric": numeric, "email": email,
    "formatString": formatString, "formatNumber": formatNumber, "formatCurrency": formatCurrency,
    "formatDate": formatDate, "pluralize": pluralize, "openUrl": openUrl,
    "and": and_, "or": or_, "not": not_, "capitalize": capitalize,
}

MAX_CALL_DEPTH = 32


@lru_cache(maxsize=None)
def signatures() -> dict[str, tuple[frozenset, str]]:
    """name -> (required argument names, return type), read from the shipped catalogs."""
    out = {}
    for catalog_file in ("catalogs/basic/catalog.json", "catalogs/minimal/catalog.json"):
        for name, schema in json.loads((A2UI_SPEC / catalog_file).read_text())["functions"].items():
            props = schema["properties"]
            arg_schema = props.get("args", {})
            out[name] = (frozenset(arg_schema.get("required", ())), props.get("returnType", {}).get("const", "any"))
    return out


def call(name: str, args: dict, ctx: Context, depth: int = 0) -> Any:
    """Run function `name` on resolved `args`; FunctionError when unknown or missing arguments."""
    fn = FUNCTIONS.get(name)
    if fn is None:
        raise FunctionError(f"unknown function {name!r} (the catalog has {', '.join(FUNCTIONS)})")
    if depth > MAX_CALL_DEPTH:
        raise FunctionError(f"function calls nested deeper than {MAX_CALL_DEPTH}")
    if not isinstance(args, dict):
        raise FunctionError(f"{name}: args must be an object")
    needed, _ = signatures()[name]
    missing = sorted(needed - args.keys())
    if missing:
        raise FunctionError(f"{name}: missing argument {', '.join(missing)}")
    try:
        return formatString(args, ctx, depth) if fn is formatString else fn(args, ctx)
    except FunctionError as e:
        if str(e).startswith(name + ":"):
            raise
        raise FunctionError(f"{name}: {e}") from e
