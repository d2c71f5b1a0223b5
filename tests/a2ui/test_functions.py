"""The catalog functions, one by one, with their edge cases."""
import json
import os
import time
from contextlib import contextmanager

import pytest

from neuralos.a2ui.functions import (FUNCTIONS, Context, FunctionError, OpenUrlRequest, call, signatures,
                                     to_text)
from neuralos.resources import A2UI_SPEC

CTX = Context({"user": {"name": "Ada", "n": 3}, "items": [{"title": "tea", "price": 2.5}],
               "when": "2026-01-16T14:30:05", "count": 1, "flag": True, "a/b": "slash"}, "/items/0")


def run(name, **args):
    return call(name, args, CTX)


@contextmanager
def timezone(name):
    """Run with the process time zone set to `name` (formatDate shows zoned times in local time)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_registry_covers_the_catalogs():
    basic = json.loads((A2UI_SPEC / "catalogs/basic/catalog.json").read_text())["functions"]
    assert set(basic) <= set(FUNCTIONS)
    assert set(FUNCTIONS) == set(signatures())


@pytest.mark.parametrize("value, expected", [
    (None, False), ("", False), ([], False), ("x", True), (0, True), (False, True), ({}, True), ([0], True)])
def test_required(value, expected):
    assert run("required", value=value) is expected


@pytest.mark.parametrize("value, pattern, expected", [
    ("abc123", r"^[a-z]+\d+$", True), ("ABC", "^[a-z]+$", False), ("xx-yy", "-", True), (None, "^$", True),
    (42, r"^\d+$", True)])
def test_regex(value, pattern, expected):
    assert run("regex", value=value, pattern=pattern) is expected


def test_regex_bad_pattern_is_a_function_error():
    with pytest.raises(FunctionError, match="regex: bad regular expression"):
        run("regex", value="a", pattern="(")


@pytest.mark.parametrize("args, expected", [
    ({"value": "abc", "min": 3}, True), ({"value": "abc", "min": 4}, False), ({"value": "abc", "max": 3}, True),
    ({"value": "abcd", "max": 3}, False), ({"value": None, "min": 1}, False), ({"value": "", "max": 0}, True),
    ({"value": "héllo", "min": 5, "max": 5}, True)])
def test_length(args, expected):
    assert call("length", args, CTX) is expected


@pytest.mark.parametrize("args, expected", [
    ({"value": 5, "min": 1, "max": 10}, True), ({"value": "5", "min": 6}, False), ({"value": "7.5", "max": 8}, True),
    ({"value": "abc", "min": 0}, False), ({"value": None, "min": 0}, False), ({"value": "", "min": 0}, False),
    ({"value": True, "min": 0}, False), ({"value": -1, "min": 0}, False), ({"value": "nan", "min": 0}, False)])
def test_numeric(args, expected):
    assert call("numeric", args, CTX) is expected


@pytest.mark.parametrize("value, expected", [
    ("ada@example.com", True), ("a.b+c@sub.example.co", True), ("a@b", False), ("@b.com", False),
    ("a b@c.com", False), ("a@b..com", False), (None, False), (5, False)])
def test_email(value, expected):
    assert run("email", value=value) is expected


@pytest.mark.parametrize("args, expected", [
    ({"value": 1234567.891}, "1,234,567.891"), ({"value": 1234.5678, "decimals": 2}, "1,234.57"),
    ({"value": 1234.5, "grouping": False}, "1234.5"), ({"value": 2.5, "decimals": 0}, "3"),
    ({"value": 1.005, "decimals": 2}, "1.01"), ({"value": -1234.5, "decimals": 1}, "-1,234.5"),
    ({"value": "12.5"}, "12.5"), ({"value": 7, "decimals": 2}, "7.00"), ({"value": 0.1 + 0.2}, "0.3"),
    ({"value": -0.0001}, "0")])
def test_format_number(args, expected):
    assert call("formatNumber", args, CTX) == expected


@pytest.mark.parametrize("args", [{"value": "abc"}, {"value": None}, {"value": 1, "decimals": -1},
                                  {"value": 1, "decimals": 1.5}, {"value": True}])
def test_format_number_rejects_non_numbers(args):
    with pytest.raises(FunctionError, match="formatNumber"):
        call("formatNumber", args, CTX)


@pytest.mark.parametrize("args, expected", [
    ({"value": 1234.5, "currency": "USD"}, "$1,234.50"), ({"value": 1234.5, "currency": "eur"}, "€1,234.50"),
    ({"value": -3, "currency": "GBP"}, "-£3.00"), ({"value": 1234.5, "currency": "JPY"}, "¥1,235"),
    ({"value": 12, "currency": "CHF"}, "CHF\u00a012.00"), ({"value": 1.5, "currency": "USD", "decimals": 0}, "$2"),
    ({"value": 1000, "currency": "USD", "grouping": False}, "$1000.00"),
    ({"value": 1.2345, "currency": "KWD"}, "KWD\u00a01.235")])
def test_format_currency(args, expected):
    assert call("formatCurrency", args, CTX) == expected


@pytest.mark.parametrize("code", ["US", "DOLLAR", 840, None])
def test_format_currency_needs_an_iso_code(code):
    with pytest.raises(FunctionError, match="ISO 4217"):
        run("formatCurrency", value=1, currency=code)


@pytest.mark.parametrize("value, pattern, expected", [
    ("2026-01-16", "MMM dd, yyyy", "Jan 16, 2026"), ("2026-01-16T14:30:05", "HH:mm", "14:30"),
    ("2026-01-16T14:30:05", "h:mm a", "2:30 PM"), ("2026-01-16T00:05:00", "hh:mm a", "12:05 AM"),
    ("2026-01-16", "EEEE, d MMMM", "Friday, 16 January"), ("2026-01-16", "E yy M/d", "Fri 26 1/16"),
    ("2026-03-04T09:08:07.250", "HH:mm:ss.SSS", "09:08:07.250"), ("14:30", "h:mm a", "2:30 PM"),
    ("2026-01-16", "'Week of' MMM d", "Week of Jan 16"), ("2026-01-16", "h 'o''clock'", "12 o'clock"),
    ("2026-01-16T10:00:00Z", "HH:mm", "10:00"), ("2026-01-16T10:00:00+02:00", "HH:mm", "08:00"),
    (0, "yyyy-MM-dd HH:mm", "1970-01-01 00:00")])
def test_format_date(value, pattern, expected):
    with timezone("UTC"):
        assert run("formatDate", value=value, format=pattern) == expected


def test_format_date_uses_local_time_for_zoned_values():
    with timezone("Asia/Tokyo"):
        assert run("formatDate", value="2026-01-16T10:00:00Z", format="HH:mm") == "19:00"
        assert run("formatDate", value="2026-01-16T10:00:00", format="HH:mm") == "10:00"  # naive: as written


@pytest.mark.parametrize("value, pattern", [("yesterday", "d"), (None, "d"), (True, "d"), ("2026-01-16", "Q"),
                                            ("2026-01-16", None)])
def test_format_date_errors(value, pattern):
    with pytest.raises(FunctionError, match="formatDate"):
        run("formatDate", value=value, format=pattern)


@pytest.mark.parametrize("args, expected", [
    ({"value": 1, "one": "item", "other": "items"}, "item"), ({"value": 2, "one": "item", "other": "items"}, "items"),
    ({"value": 0, "one": "item", "other": "items"}, "items"), ({"value": 0, "zero": "none", "other": "items"}, "none"),
    ({"value": 2, "two": "pair", "other": "many"}, "pair"), ({"value": 1, "other": "things"}, "things"),
    ({"value": 1.5, "one": "x", "other": "y"}, "y"), ({"value": "1", "one": "x", "other": "y"}, "x")])
def test_pluralize(args, expected):
    assert call("pluralize", args, CTX) == expected


def test_open_url_only_makes_a_request():
    assert run("openUrl", url="https://example.com/x") == OpenUrlRequest("https://example.com/x")
    with pytest.raises(FunctionError, match="absolute URL"):
        run("openUrl", url="not a url")


@pytest.mark.parametrize("name, args, expected", [
    ("and", {"values": [True, True]}, True), ("and", {"values": [True, False]}, False),
    ("and", {"values": [True, None]}, False), ("or", {"values": [False, True]}, True),
    ("or", {"values": [False, None]}, False), ("or", {"values": [0, ""]}, False),
    ("not", {"value": True}, False), ("not", {"value": None}, True), ("not", {"value": "x"}, False)])
def test_logic(name, args, expected):
    assert call(name, args, CTX) is expected


def test_logic_needs_a_list():
    with pytest.raises(FunctionError, match="and: values must be a list"):
        run("and", values=True)


def test_capitalize():
    assert run("capitalize", value="hello world") == "Hello world"
    assert run("capitalize", value="") == ""


def test_unknown_function_and_missing_arguments():
    with pytest.raises(FunctionError, match="unknown function 'shout'"):
        run("shout", value=1)
    with pytest.raises(FunctionError, match="pluralize: missing argument other"):
        run("pluralize", value=1)


# -- formatString ---------------------------------------------------------------------------------
@pytest.mark.parametrize("template, expected", [
    ("Hello ${/user/name}!", "Hello Ada!"),
    ("${title} costs ${price}", "tea costs 2.5"),                       # relative to the scope
    ("${/user/n} ${/flag} [${/missing}]", "3 true []"),
    ("${formatCurrency(value: ${price}, currency: 'USD')}", "$2.50"),
    ("(${formatNumber(value: ${/count})} ${pluralize(value: ${/count}, one: 'review', other: 'reviews')})",
     "(1 review)"),
    ("${formatDate(value:${/when}, format:'MM-dd')}", "01-16"),
    ("${formatNumber(value: 1234.5, decimals: 1, grouping: false)}", "1234.5"),
    ("${pluralize(value: 2, one: \"it's one\", other: 'it\\'s more')}", "it's more"),
    ("cost: \\${/user/name}", "cost: ${/user/name}"),                    # escaped
    ("${ /user/name }", "Ada"),
    ("${/a~1b}", "slash"),
    ("${not(value: ${/flag})}", "false"),
    ("no expressions", "no expressions"),
    ("${capitalize(value: ${title})}", "Tea"),
    ("$ {x} and $", "$ {x} and $"),
])
def test_format_string(template, expected):
    assert run("formatString", value=template) == expected


@pytest.mark.parametrize("template, words", [
    ("${/user/name", "missing '}'"), ("${}", "empty expression"), ("${shout()}", "unknown function 'shout'"),
    ("${formatNumber(1)}", "named argument"), ("${pluralize(value: 'a)}", "unterminated string"),
    ("${pluralize(value: 1)}", "missing argument other")])
def test_format_string_errors(template, words):
    with pytest.raises(FunctionError, match="formatString") as err:
        run("formatString", value=template)
    assert words in str(err.value)


def test_format_string_nesting_is_bounded():
    template = "${not(value: " * 40 + "true" + ")}" * 40
    with pytest.raises(FunctionError, match="nested deeper"):
        run("formatString", value=template)


@pytest.mark.parametrize("value, text", [
    (None, ""), (True, "true"), (False, "false"), (3, "3"), (3.0, "3"), (2.5, "2.5"), (1e21, "1e+21"),
    (1e-7, "1e-7"), (float("nan"), "NaN"), (float("-inf"), "-Infinity"), ("s", "s"), (["a", 1], "a, 1"),
    ({"k": 1}, '{"k":1}')])
def test_to_text(value, text):
    assert to_text(value) == text
