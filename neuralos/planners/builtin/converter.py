"""Unit converter: length, mass, volume, temperature, time, data, speed, area — it really converts."""
from __future__ import annotations

import re

from neuralos.planners.base import Refusal
from neuralos.planners.builtin.app import App, Ctx, Intent, Part
from neuralos.planners.builtin.calc import format_number
from neuralos.planners.builtin.ui import UI, path

# category -> unit -> (factor to the base unit, label, aliases). Temperature is affine: see `convert`.
UNITS: dict[str, dict[str, tuple[float, str, tuple[str, ...]]]] = {
    "length": {
        "m": (1.0, "metres", ("m", "meter", "meters", "metre", "metres")),
        "km": (1000.0, "kilometres", ("km", "kms", "kilometer", "kilometers", "kilometre", "kilometres")),
        "cm": (0.01, "centimetres", ("cm", "centimeter", "centimeters", "centimetre", "centimetres")),
        "mm": (0.001, "millimetres", ("mm", "millimeter", "millimeters", "millimetre", "millimetres")),
        "mi": (1609.344, "miles", ("mi", "mile", "miles")),
        "yd": (0.9144, "yards", ("yd", "yds", "yard", "yards")),
        "ft": (0.3048, "feet", ("ft", "foot", "feet")),
        "in": (0.0254, "inches", ("in", "inch", "inches")),
        "nmi": (1852.0, "nautical miles", ("nmi", "nautical mile", "nautical miles")),
    },
    "mass": {
        "kg": (1.0, "kilograms", ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms")),
        "g": (0.001, "grams", ("g", "gram", "grams", "gramme", "grammes")),
        "mg": (1e-6, "milligrams", ("mg", "milligram", "milligrams")),
        "t": (1000.0, "tonnes", ("t", "tonne", "tonnes", "metric ton", "metric tons")),
        "lb": (0.45359237, "pounds", ("lb", "lbs", "pound", "pounds")),
        "oz": (0.028349523125, "ounces", ("oz", "ounce", "ounces")),
        "st": (6.35029318, "stone", ("st", "stone", "stones")),
    },
    "volume": {
        "l": (1.0, "litres", ("l", "liter", "liters", "litre", "litres")),
        "ml": (0.001, "millilitres", ("ml", "milliliter", "milliliters", "millilitre", "millilitres")),
        "m3": (1000.0, "cubic metres", ("m3", "m³", "cubic meter", "cubic meters", "cubic metre", "cubic metres")),
        "gal": (3.785411784, "US gallons", ("gal", "gallon", "gallons")),
        "qt": (0.946352946, "US quarts", ("qt", "quart", "quarts")),
        "pt": (0.473176473, "US pints", ("pt", "pint", "pints")),
        "cup": (0.2365882365, "US cups", ("cup", "cups")),
        "floz": (0.0295735295625, "US fluid ounces", ("fl oz", "floz", "fluid ounce", "fluid ounces")),
        "tbsp": (0.01478676478125, "tablespoons", ("tbsp", "tablespoon", "tablespoons")),
        "tsp": (0.00492892159375, "teaspoons", ("tsp", "teaspoon", "teaspoons")),
    },
    "temperature": {
        "C": (1.0, "°C", ("c", "°c", "celsius", "centigrade", "degrees c", "degrees celsius")),
        "F": (1.0, "°F", ("f", "°f", "fahrenheit", "degrees f", "degrees fahrenheit")),
        "K": (1.0, "kelvin", ("kelvin", "kelvins", "°k")),
    },
    "time": {
        "s": (1.0, "seconds", ("s", "sec", "secs", "second", "seconds")),
        "min": (60.0, "minutes", ("min", "mins", "minute", "minutes")),
        "h": (3600.0, "hours", ("h", "hr", "hrs", "hour", "hours")),
        "day": (86400.0, "days", ("d", "day", "days")),
        "week": (604800.0, "weeks", ("wk", "wks", "week", "weeks")),
        "year": (31557600.0, "years (365.25 days)", ("yr", "yrs", "year", "years")),
    },
    "data": {
        "B": (1.0, "bytes", ("b", "byte", "bytes")),
        "KB": (1e3, "kilobytes", ("kb", "kilobyte", "kilobytes")),
        "MB": (1e6, "megabytes", ("mb", "megabyte", "megabytes")),
        "GB": (1e9, "gigabytes", ("gb", "gigabyte", "gigabytes", "gigs")),
        "TB": (1e12, "terabytes", ("tb", "terabyte", "terabytes")),
        "KiB": (1024.0, "kibibytes", ("kib", "kibibyte", "kibibytes")),
        "MiB": (1024.0 ** 2, "mebibytes", ("mib", "mebibyte", "mebibytes")),
        "GiB": (1024.0 ** 3, "gibibytes", ("gib", "gibibyte", "gibibytes")),
    },
    "speed": {
        "m/s": (1.0, "metres per second", ("m/s", "mps", "meters per second", "metres per second")),
        "km/h": (1 / 3.6, "km per hour", ("km/h", "kmh", "kph", "kilometers per hour", "kilometres per hour")),
        "mph": (0.44704, "miles per hour", ("mph", "miles per hour")),
        "kn": (1852 / 3600, "knots", ("kn", "kt", "knot", "knots")),
    },
    "area": {
        "m2": (1.0, "square metres", ("m2", "m²", "sq m", "square meter", "square meters", "square metre", "square metres")),
        "km2": (1e6, "square kilometres", ("km2", "km²", "sq km", "square kilometer", "square kilometers",
                                           "square kilometre", "square kilometres")),
        "ft2": (0.09290304, "square feet", ("ft2", "ft²", "sq ft", "square foot", "square feet")),
        "acre": (4046.8564224, "acres", ("acre", "acres")),
        "ha": (10000.0, "hectares", ("ha", "hectare", "hectares")),
    },
}
DEFAULT_PAIR = {"length": ("km", "mi"), "mass": ("kg", "lb"), "volume": ("l", "gal"), "temperature": ("C", "F"),
                "time": ("h", "min"), "data": ("GB", "MB"), "speed": ("km/h", "mph"), "area": ("m2", "ft2")}
_ALIASES = {alias: (cat, unit) for cat, units in UNITS.items() for unit, (_, _, al) in units.items() for alias in al}
_ALIAS_RE = "|".join(sorted((re.escape(a) for a in _ALIASES), key=len, reverse=True))
_NUM = r"-?\d+(?:[.,]\d+)?"
_CONVERT = re.compile(rf"^(?:please\s+)?(?:convert|change|turn|what(?:'s| is| are)|whats|how (?:much|many|far|long|heavy|big) is)?\s*"
                      rf"(?P<n>{_NUM})\s*(?:degrees\s+)?(?P<a>{_ALIAS_RE})\s+(?:to|in|into|as|=|in terms of)\s+(?:degrees\s+)?(?P<b>{_ALIAS_RE})$")
_HOW_MANY = re.compile(rf"^how many\s+(?P<b>{_ALIAS_RE})\s+(?:are\s+)?(?:there\s+)?(?:in|per)\s+(?:(?P<n>{_NUM}|an?|one)\s+)?(?P<a>{_ALIAS_RE})$")


class ConvertError(ValueError):
    pass


def find_unit(text: str) -> tuple[str, str]:
    """(category, unit) for a unit name people type ("km", "Fahrenheit", "fl oz")."""
    key = text.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    for cat, units in UNITS.items():
        if text in units:
            return cat, text
    raise ConvertError(f"I don't know the unit “{text}”")


def convert(value: float, src: str, dst: str) -> float:
    """`value` in unit `src` expressed in unit `dst` (unit keys or names, same category)."""
    cat_a, a = find_unit(src)
    cat_b, b = find_unit(dst)
    if cat_a != cat_b:
        raise ConvertError(f"can't convert {cat_a} ({UNITS[cat_a][a][1]}) to {cat_b} ({UNITS[cat_b][b][1]})")
    if cat_a == "temperature":
        kelvin = {"C": lambda v: v + 273.15, "F": lambda v: (v - 32) * 5 / 9 + 273.15, "K": lambda v: v}[a](value)
        if kelvin < -1e-9:
            raise ConvertError("that is below absolute zero")
        return {"C": lambda k: k - 273.15, "F": lambda k: (k - 273.15) * 9 / 5 + 32, "K": lambda k: k}[b](kelvin)
    return value * UNITS[cat_a][a][0] / UNITS[cat_b][b][0]


_SINGULAR = {"feet": "foot", "inches": "inch", "stone": "stone", "kelvin": "kelvin",
             "years (365.25 days)": "year (365.25 days)"}


def _label(cat: str, unit: str, value: float) -> str:
    label = UNITS[cat][unit][1]
    if value != 1 or label.startswith("°"):
        return label
    if label in _SINGULAR:
        return _SINGULAR[label]
    head, _, tail = label.partition(" per ")
    head = head[:-1] if head.endswith("s") else head
    return f"{head} per {tail}" if tail else head


def describe(value: float, src: str, dst: str) -> str:
    """"5 kilometres = 3.106856 miles"."""
    cat, a = find_unit(src)
    _, b = find_unit(dst)
    result = convert(value, src, dst)
    result = round(result, 6) if abs(result) >= 1e-4 else result
    return f"{format_number(value)} {_label(cat, a, value)} = {format_number(result)} {_label(cat, b, result)}"


class ConverterApp(App):
    name = "converter"
    title = "Unit converter"
    about = "length, mass, volume, temperature, time, data, speed, area"
    examples = ("convert 5 km to miles", "how many cups in a liter", "100 F in C", "open the unit converter")
    aliases = r"(?:units?|measurement) (?:converter|conversion|calculator)|converter|convert units"

    def initial_data(self, ctx, args):
        cat = args.get("category", "length")
        a, b = args.get("pair", DEFAULT_PAIR[cat])
        return {"category": cat, "amount": str(args.get("amount", "1")), "from": [a], "to": [b], "result": ""}

    def components(self, ctx, sid, data):
        ui = UI()
        cat = data.get("category", "length")
        units = [(k, f"{v[1]} ({k})" if v[1] != k else k) for k, v in UNITS[cat].items()]
        cats = list(UNITS)
        rows = []
        for r in range(0, len(cats), 4):
            rows.append(ui.row(f"cats-{r // 4}", [
                ui.button(f"cat-{c.replace('/', '-')}", c.capitalize(), "category", {"category": c},
                          variant="primary" if c == cat else "borderless") for c in cats[r:r + 4]]))
        amount = ui.field("amount", "Amount", "/amount", variant="number")
        ui.column("root", [
            *rows,
            ui.divider("divider"),
            ui.row("input", [amount, ui.button("convert", "Convert", "convert",
                                               {"amount": path("/amount"), "from": path("/from"), "to": path("/to")},
                                               variant="primary")], align="end"),
            ui.text("result", path("/result"), "h4"),
            ui.row("units", [ui.choice("from", "From", units, "/from"), ui.choice("to", "To", units, "/to")]),
        ])
        for cid in ("from", "to", "amount"):
            ui._components[cid]["weight"] = 1
        return ui.components

    # -- intents ----------------------------------------------------------------------------------
    def understand(self, part: Part, ctx: Ctx):
        low = part.low
        m = _CONVERT.match(low) or _HOW_MANY.match(low)
        if m:
            n = m.group("n") or "1"
            amount = 1.0 if n in ("a", "an", "one") else float(n.replace(",", "."))
            return [Intent(self.name, "convert", {"amount": amount, "from": m.group("a"), "to": m.group("b")})]
        return None

    def run(self, ctx, intent):
        if intent.verb != "convert":
            self.open(ctx, intent.args)
            return
        try:
            text = describe(intent.args["amount"], intent.args["from"], intent.args["to"])
            cat, a = find_unit(intent.args["from"])
            _, b = find_unit(intent.args["to"])
        except ConvertError as e:
            raise Refusal(str(e)) from None
        existing = ctx.surfaces_of(self.name)
        sid = self.open(ctx, {"category": cat, "pair": (a, b), "amount": format_number(intent.args["amount"])})
        data = ctx.data(sid)
        if existing and data.get("category") != cat:
            data["category"] = cat
            ctx.set_components(sid, self.components(ctx, sid, data))
        data.update(amount=format_number(intent.args["amount"]), **{"from": [a], "to": [b]}, result=text)
        ctx.reply(text + ".")

    def on_action(self, ctx, sid, name, context):
        data = ctx.data(sid)
        if name == "category":
            cat = context.get("category")
            if not isinstance(cat, str) or cat not in UNITS:
                raise Refusal(f"there is no unit category {cat!r}")
            a, b = DEFAULT_PAIR[cat]
            data.update(category=cat, result="", **{"from": [a], "to": [b]})
            ctx.set_components(sid, self.components(ctx, sid, data))
        elif name == "convert":
            src, dst = _first(context.get("from")), _first(context.get("to"))
            raw = str(context.get("amount", "")).strip().replace(",", ".")
            try:
                value = float(raw)
            except ValueError:
                data["result"] = "Enter a number to convert"
                return
            if not (src and dst):
                data["result"] = "Pick both units"
                return
            try:
                data["result"] = describe(value, src, dst)
            except ConvertError as e:
                data["result"] = str(e).capitalize()
            ctx.reply(data["result"] + ".")
        else:
            super().on_action(ctx, sid, name, context)


def _first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value if isinstance(value, str) else None
