"""Seeded generator of random but realistic desktop states for the synthetic training data.

A `UIState` is everything needed to reproduce one training sample exactly: the canvas size, the
theme, the A2UI v0.9 messages that build the surfaces (windows), and an interaction *script* replayed
through the desktop canvas' input router after the messages are applied (window moves, hover, press,
typing, toggles ...). A script with a `{"op": "capture"}` step is a *sequence*: the frame grabbed at
that step is the sample's previous frame, the frame after the last step its current frame.

Qt-free: rendering and replay live in `neuralos.neural.data`. Everything here is a pure function of
the seed, so a state can be regenerated from its seed alone, and its content decides its split.

Script steps (replayed in order by `neuralos.neural.data.replay`):

    {"op": "window", "action": "move"|"raise"|"minimize"|"close", "surface": SID, "to": [fx, fy]}
    {"op": "move"|"press"|"release"|"click", "target": TARGET}
    {"op": "type", "text": "..."}            typed into the focused input
    {"op": "key", "key": "Backspace"}        one key press
    {"op": "scroll", "target": TARGET, "dy": -3}   wheel notches (negative: scroll down)
    {"op": "a2ui", "messages": [...]}        more messages (a window opens, data changes)
    {"op": "capture"}                        grab the previous frame here

TARGET is {"surface": SID, "component": CID, "fx": .., "fy": .., "pick": ..}: a point at fraction
(fx, fy) of that component's visible box (the first template instance when it repeats);
{"surface": SID, "role": ROLE, ...} for window chrome and scroll bars (SID "*": the topmost reachable
one of any window); {"point": [fx, fy]} for a canvas point.
When the named component is hidden (another tab, scrolled away, under another window), a reachable
node of the same `type` (role) is used, else a reachable interactive component chosen by `pick`
(0..1); window chrome is only ever targeted by `role`.

Split: `split_of` hashes the state's A2UI messages, so an identical UI can never be both a training
and an evaluation state; `iter_states(split=...)` skips seeds whose state falls in the other split.
"""
from __future__ import annotations

import copy
import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Iterator

from neuralos.errors import BadInput
from neuralos.resources import BASIC_CATALOG_ID

GENERATOR_VERSION = "states-1"
SPLITS = ("train", "eval")
EVAL_PERCENT = 10          # share of the state space held out for evaluation (by content hash)
DEFAULT_SIZES = ((512, 384), (640, 480), (800, 600), (1024, 768))
THEMES = ("light", "dark")
COMPONENT_TYPES = (
    "Text", "Image", "Icon", "Video", "AudioPlayer", "Row", "Column", "List", "Card", "Tabs", "Modal",
    "Divider", "Button", "TextField", "CheckBox", "ChoicePicker", "Slider", "DateTimeInput",
)
INTERACTIVE_TYPES = ("Button", "TextField", "CheckBox", "ChoicePicker", "Slider", "DateTimeInput", "Tabs")
# Sequence kinds and the component type each needs in the focused window (None: always possible).
SEQUENCE_KINDS = {
    "hover": None, "press": None, "release": None, "focus": "TextField", "typing": "TextField",
    "backspace": "TextField", "toggle": "CheckBox", "slider": "Slider", "tab": "Tabs",
    "choice": "ChoicePicker", "modal-open": "Modal", "window-open": None, "window-close": None,
    "window-raise": None, "window-move": None, "data-update": None, "scroll": None,
}
INTERACTION_KINDS = ("hover", "press", "focus", "typed", "toggled", "none")
STATE_KINDS = frozenset({*INTERACTION_KINDS, *SEQUENCE_KINDS, "static"}) - {"none"}   # what a selection names
KIND_SCAN_LIMIT = 1000     # seeds of the split scanned per wanted state before a selection counts as too rare
V = "v0.9"

# ---------------------------------------------------------------------------------------------
# Word lists (written for this project). Mixed lengths, a little Unicode the bundled DejaVu fonts cover.
FIRST = ("Alex", "Jordan", "Sam", "Priya", "Mateo", "Chen", "Amara", "Lucas", "Sofia", "Noah", "Emma",
         "Kenji", "Fatima", "Olivia", "Liam", "Zoë", "Björn", "Ana", "Mohammed", "Elena", "Tomás",
         "Ingrid", "Raj", "Yara", "Hugo", "Maëlle", "Oskar", "Nadia", "Kofi", "Léa", "Dmitri", "Aiko",
         "Grace", "Ravi", "Chloé", "Marta", "Jonas", "Isabel", "Tariq", "Hannah", "Łukasz", "Søren")
LAST = ("Rivera", "Nakamura", "Okafor", "Schmidt", "Kowalski", "García", "Andersson", "Dubois", "Patel",
        "O'Brien", "Müller", "Rossi", "Haddad", "Novak", "Fernández", "Lindqvist", "Moreau", "Kim",
        "Santos", "Ivanova", "Byrne", "Costa", "Jensen", "Walker", "Nguyen", "Ødegaard", "Çelik")
COMPANIES = ("Acme", "Northwind", "Globex", "Initech", "Umbrella Labs", "Blue Harbor", "Pinecrest",
             "Starling & Co", "Vertex", "Lumen Systems", "Orbit Logistics", "Maple Bank", "Helios Energy")
CITIES = ("Lisbon", "Kyoto", "Toronto", "Nairobi", "Berlin", "São Paulo", "Reykjavík", "Melbourne",
          "Seoul", "Zürich", "Mexico City", "Oslo", "Austin", "Kraków", "Marseille", "Dublin", "Cairo")
STREETS = ("Main St", "Oak Avenue", "Harbor Road", "Rue de la Paix", "Elm Court", "Königstraße",
           "Sunset Blvd", "Baker Street", "Calle Mayor", "Station Road")
NOUNS = ("report", "meeting", "budget", "design", "invoice", "roadmap", "review", "launch", "backup",
         "contract", "dashboard", "survey", "release", "campaign", "workshop", "deadline", "proposal",
         "playlist", "recipe", "garden", "flight", "hotel", "ticket", "order", "delivery", "payment",
         "update", "photo", "album", "note", "project", "sprint", "server", "account", "profile",
         "subscription", "reminder", "appointment", "shipment", "forecast", "interview", "lesson")
VERBS = ("review", "send", "finish", "book", "schedule", "call", "update", "prepare", "share", "check",
         "renew", "plan", "approve", "archive", "fix", "order", "draft", "sign", "confirm", "clean up")
ADJ = ("quarterly", "new", "urgent", "weekly", "final", "shared", "private", "annual", "quick",
       "monthly", "important", "draft", "pending", "recent", "favourite", "upcoming", "overdue")
SENTENCES = (
    "Following up on our call, please review the attached numbers before Friday.",
    "The package left the warehouse and should arrive within three business days.",
    "Your subscription renews automatically unless you cancel before the end of the month.",
    "We moved the team lunch to the rooftop terrace because of the weather.",
    "Remember to water the tomatoes and check the greenhouse thermostat.",
    "All systems operational. Last incident resolved 4 days ago.",
    "Café au lait, croissants and a short walk along the river — perfect morning.",
    "Die Besprechung beginnt pünktlich um 10 Uhr im großen Saal.",
    "La réunion est reportée à jeudi prochain, même heure.",
    "Reminder: the office closes early on the last Friday of every month.",
    "Draft the release notes and share them with the support team.",
    "Temperature 21°C, humidity 40%, wind 12 km/h from the north-west.",
    "Σας ευχαριστούμε για την παραγγελία σας.",
    "Спасибо за ваш заказ! Мы свяжемся с вами в ближайшее время.",
    "Great work on the launch — the numbers look better than expected.",
    "Please bring your ID and booking reference to the front desk.",
    "Battery at 18%. Connect a charger to keep working.",
    "This folder is shared with 4 people. Changes sync automatically.",
)
SONGS = ("Midnight Drive", "Paper Boats", "Golden Hour", "Northern Lights", "Slow Rivers", "Neon Rain",
         "Échappée", "Blue Monday Morning", "Satellites", "Winter Garden", "Half Light", "Caravan")
ARTISTS = ("The Lanterns", "Mira Sol", "Echo Park", "Los Valientes", "Kai & the Tides", "Nordlys",
           "Amélie Roux", "Static Bloom")
PRODUCTS = ("Wireless Headphones", "Espresso Machine", "Trail Running Shoes", "Desk Lamp",
            "Ceramic Mug Set", "Mechanical Keyboard", "Yoga Mat", "Backpack 28L", "Smart Thermostat",
            "Linen Shirt", "Cast-Iron Pan", "Noise Machine", "Water Bottle")
APPS = ("Notes", "Tasks", "Mail", "Calendar", "Music", "Weather", "Settings", "Files", "Store",
        "Contacts", "Chat", "Fitness", "Bank", "Photos", "Timer", "Travel", "News", "Recipes")
ICONS = ("accountCircle", "add", "arrowBack", "arrowForward", "attachFile", "calendarToday", "call",
         "camera", "check", "close", "delete", "download", "edit", "event", "error", "fastForward",
         "favorite", "favoriteOff", "folder", "help", "home", "info", "locationOn", "lock", "lockOpen",
         "mail", "menu", "moreVert", "moreHoriz", "notificationsOff", "notifications", "pause", "payment",
         "person", "phone", "photo", "play", "print", "refresh", "rewind", "search", "send", "settings",
         "share", "shoppingCart", "skipNext", "skipPrevious", "star", "starHalf", "starOff", "stop",
         "upload", "visibility", "visibilityOff", "volumeDown", "volumeMute", "volumeOff", "volumeUp",
         "warning")
# A themed window's primary colour is one of these common ones, or with `RANDOM_PRIMARY` odds any colour.
PRIMARY_COLORS = ("#1A73E8", "#0B8043", "#D93025", "#F29900", "#8430CE", "#00897B", "#E8710A",
                  "#3949AB", "#C2185B", "#5F6368", "#00BFFF", "#6D4C41")
RANDOM_PRIMARY = 0.2
BUTTON_WORDS = ("Save", "Cancel", "Submit", "Continue", "Delete", "Edit", "Share", "Send", "Done",
                "Next", "Back", "Apply", "Reset", "Sign in", "Sign up", "Add item", "Learn more",
                "Open", "Close", "Buy now", "Download", "Upload", "Accept", "Decline", "Retry",
                "Save changes", "Add to cart", "Book now", "Follow", "Reply", "Archive")
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF")
IMAGE_VARIANTS = ("icon", "avatar", "smallFeature", "mediumFeature", "largeFeature", "header")
IMAGE_FITS = ("contain", "cover", "fill", "none", "scaleDown")
TEXT_VARIANTS = ("h1", "h2", "h3", "h4", "h5", "caption", "body")
NO_VARIANT = ""
JUSTIFY = ("start", "center", "end", "spaceBetween", "spaceAround", "spaceEvenly", "stretch")
ALIGN = ("start", "center", "end", "stretch")


# ---------------------------------------------------------------------------------------------
@dataclass
class UIState:
    """One reproducible desktop state: size, theme, A2UI messages and an interaction script."""

    seed: int
    width: int
    height: int
    theme: str
    messages: list[dict]
    script: list[dict] = field(default_factory=list)
    kind: str = "static"            # "static", an interaction kind, or "seq:<sequence kind>"
    generator: str = GENERATOR_VERSION
    random_primary: float = RANDOM_PRIMARY   # the odds the generator used (reproduces the state from its seed)

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def is_sequence(self) -> bool:
        return any(s.get("op") == "capture" for s in self.script)

    @property
    def target_types(self) -> frozenset[str]:
        """The component types the script's input aims at (a hovered button, a pressed check box ...)."""
        return frozenset(t["type"] for t in (s.get("target") for s in self.script)
                         if isinstance(t, dict) and "type" in t)

    def matches(self, kinds: frozenset[str] | None = None, targets: frozenset[str] | None = None) -> bool:
        """Of one of `kinds` (its kind without the "seq:" prefix) and aimed at one of `targets`; None: any."""
        return ((kinds is None or self.kind.removeprefix("seq:") in kinds)
                and (targets is None or bool(self.target_types & targets)))

    def all_messages(self) -> list[dict]:
        """The initial messages plus those the script sends later, in order."""
        out = list(self.messages)
        for s in self.script:
            if s.get("op") == "a2ui":
                out += s["messages"]
        return out

    def content_hash(self) -> str:
        """sha256 of the UI content (all A2UI messages, canonical JSON); decides the split."""
        return content_hash(self.all_messages())

    @property
    def split(self) -> str:
        return split_of(self)

    def component_types(self) -> set[str]:
        return {c["component"] for m in self.all_messages() if "updateComponents" in m
                for c in m["updateComponents"]["components"]}

    def to_dict(self) -> dict:
        d = {"generator": self.generator, "seed": self.seed, "size": [self.width, self.height],
             "theme": self.theme, "kind": self.kind, "messages": self.messages, "script": self.script}
        if self.random_primary != RANDOM_PRIMARY:   # states of the default odds stay as they always were
            d["random_primary"] = self.random_primary
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict, where: str = "state") -> "UIState":
        try:
            w, h = d["size"]
            state = cls(seed=int(d["seed"]), width=int(w), height=int(h), theme=d["theme"],
                        messages=list(d["messages"]), script=list(d.get("script", [])),
                        kind=d.get("kind", "static"), generator=d.get("generator", GENERATOR_VERSION),
                        random_primary=float(d.get("random_primary", RANDOM_PRIMARY)))
        except (KeyError, TypeError, ValueError) as e:
            raise BadInput(f"not a neuralos UI state ({type(e).__name__}: {e})", where=where) from None
        if state.theme not in THEMES:
            raise BadInput(f"unknown theme {state.theme!r}", where=f"{where}/theme")
        return state


def content_hash(messages: list[dict]) -> str:
    return hashlib.sha256(json.dumps(messages, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def split_of(state: "UIState | list[dict]") -> str:
    """"eval" for EVAL_PERCENT% of UI contents (by hash), else "train". Deterministic everywhere."""
    h = state.content_hash() if isinstance(state, UIState) else content_hash(state)
    return "eval" if int(h[:8], 16) % 100 < EVAL_PERCENT else "train"


def validate_state(state: UIState, where: str | None = None) -> None:
    """Every message (initial and scripted) must pass the A2UI processor; raise BadInput naming it."""
    from neuralos.a2ui.processor import MessageProcessor, Rejected

    where = where or f"state seed {state.seed}"
    proc = MessageProcessor()
    try:
        proc.apply(state.messages, source=f"{where} messages")
        for i, step in enumerate(state.script):
            if step.get("op") == "a2ui":
                proc.apply(step["messages"], source=f"{where} script/{i}")
    except Rejected as e:
        raise BadInput(str(e)) from None
    for i, step in enumerate(state.script):
        op = step.get("op")
        if op not in ("window", "move", "press", "release", "click", "type", "key", "scroll", "a2ui",
                      "capture"):
            raise BadInput(f"unknown script op {op!r}", where=f"{where} script/{i}")


# ---------------------------------------------------------------------------------------------
class _Words:
    """Realistic strings drawn from the lists above."""

    def __init__(self, rng: random.Random):
        self.r = rng

    def pick(self, seq):
        return self.r.choice(seq)

    def name(self) -> str:
        return f"{self.pick(FIRST)} {self.pick(LAST)}"

    def email(self, name: str | None = None) -> str:
        name = name or self.name()
        first = name.split()[0].lower().translate(str.maketrans("äöüëéèçøåłńšžı", "aoueeecoalnszi"))
        dom = self.pick(COMPANIES).split()[0].lower().strip("&")
        return f"{first}@{dom}.{self.pick(('com', 'org', 'io', 'net', 'de'))}"

    def title(self) -> str:
        r = self.r.random()
        if r < 0.3:
            return f"{self.pick(ADJ).capitalize()} {self.pick(NOUNS)}"
        if r < 0.55:
            return f"{self.pick(VERBS).capitalize()} the {self.pick(NOUNS)}"
        if r < 0.7:
            return f"{self.pick(NOUNS).capitalize()} for {self.pick(CITIES)}"
        if r < 0.85:
            return f"{self.pick(COMPANIES)} {self.pick(NOUNS)}"
        return f"{self.pick(ADJ).capitalize()} {self.pick(NOUNS)} #{self.r.randint(2, 999)}"

    def sentence(self) -> str:
        if self.r.random() < 0.55:
            return self.pick(SENTENCES)
        words = [self.pick(VERBS), "the", self.pick(ADJ), self.pick(NOUNS)]
        if self.r.random() < 0.5:
            words += ["with", self.name().split()[0]]
        if self.r.random() < 0.5:
            words += ["before", self.pick(("Monday", "Friday", "noon", "the weekend", "5 pm"))]
        return " ".join(words).capitalize() + "."

    def paragraph(self, lo: int = 2, hi: int = 4) -> str:
        return " ".join(self.sentence() for _ in range(self.r.randint(lo, hi)))

    def label(self) -> str:
        return self.pick(("Name", "Email", "Password", "Phone", "Address", "City", "Company", "Title",
                          "Notes", "Search", "Amount", "Quantity", "Username", "Website", "Comment",
                          "Subject", "Message", "Postal code", "Full name", "Card number",
                          "Description", "Tags", "Due date", "Budget (€)", "Nickname"))

    def text_value(self, label: str) -> str:
        """Text field content matching its label; sometimes empty, sometimes very long."""
        r = self.r.random()
        if r < 0.2:
            return ""
        if r < 0.3:
            return self.paragraph(3, 6)  # longer than the field: clipped / wrapped
        low = label.lower()
        if "mail" in low:
            return self.email()
        if "name" in low:
            return self.name()
        if "phone" in low:
            return f"+{self.r.randint(1, 99)} {self.r.randint(100, 999)} {self.r.randint(1000, 9999)}"
        if "city" in low or "address" in low:
            return f"{self.r.randint(1, 250)} {self.pick(STREETS)}, {self.pick(CITIES)}"
        if low in ("amount", "quantity") or "budget" in low:
            return str(self.r.choice((self.r.randint(1, 20), round(self.r.uniform(1, 5000), 2))))
        if "password" in low:
            return "".join(self.r.choice("abcdefghkmnpqrstuvwxyz23456789!#") for _ in range(self.r.randint(6, 14)))
        if "website" in low:
            return f"https://{self.pick(COMPANIES).split()[0].lower()}.example.com"
        if "card" in low:
            return " ".join(f"{self.r.randint(0, 9999):04d}" for _ in range(4))
        return self.r.choice((self.title(), self.sentence(), self.pick(CITIES), self.name()))

    def date(self) -> str:
        return f"20{self.r.randint(24, 27)}-{self.r.randint(1, 12):02d}-{self.r.randint(1, 28):02d}"

    def time(self) -> str:
        return f"{self.r.randint(0, 23):02d}:{self.r.choice((0, 15, 30, 45)):02d}"

    def money(self) -> float:
        return round(self.r.choice((self.r.uniform(1, 60), self.r.uniform(60, 2500), self.r.uniform(0.5, 9))), 2)

    def typed(self) -> str:
        """A few characters a user types in one go (ASCII and a little Unicode)."""
        return self.r.choice((self.pick(FIRST)[: self.r.randint(2, 5)], self.pick(NOUNS)[: self.r.randint(2, 6)],
                              str(self.r.randint(1, 999)), " ok", "é", "Zoë", "ß", "42", "@", "hi "))

    def button(self) -> str:
        return self.pick(BUTTON_WORDS)


class SurfaceBuilder:
    """Accumulates one surface's components and data model, with unique ids and binding helpers."""

    def __init__(self, rng: random.Random, words: _Words, surface_id: str):
        self.r, self.w, self.sid = rng, words, surface_id
        self.components: list[dict] = []
        self.data: dict = {}
        self._n = 0
        self.interactive: list[dict] = []   # {"component", "type", "template"}
        self.modal_triggers: list[str] = []

    # -- plumbing --------------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n}"

    def add(self, comp: dict, *, interactive: bool = False, template: bool = False) -> str:
        if "id" not in comp:
            comp = {"id": self.new_id(comp["component"].lower()), **comp}
        self.components.append(comp)
        if interactive:
            self.interactive.append({"component": comp["id"], "type": comp["component"], "template": template})
        return comp["id"]

    def bound(self, key: str, value, *, prob: float = 0.5, template: bool = False):
        """Either the literal value or a data binding to it (set in the data model)."""
        if template:
            return value
        if self.r.random() < prob:
            k = f"{key}{self._n}"
            self.data[k] = value
            return {"path": f"/{k}"}
        return value

    def weighted(self, cid: str, weight: float | None = None) -> str:
        """Give an already-added component a flex weight (only valid inside Row/Column)."""
        for c in self.components:
            if c["id"] == cid:
                c["weight"] = weight if weight is not None else self.r.choice((1, 1, 2, 3, 0.5))
        return cid

    # -- components ------------------------------------------------------------------------------
    def text(self, text=None, variant: str | None = None, *, bind: float = 0.3) -> str:
        """A Text; variant None: a random one, NO_VARIANT: the default (body) without the property."""
        text = text if text is not None else self.w.title()
        comp = {"component": "Text", "text": self.bound("text", text, prob=bind)}
        if variant is None:
            variant = self.r.choice(TEXT_VARIANTS + (NO_VARIANT, NO_VARIANT))
        if variant:
            comp["variant"] = variant
        return self.add(comp)

    def icon(self, name: str | None = None) -> str:
        name = name or self.w.pick(ICONS)
        r = self.r.random()
        if r < 0.1:
            self.data[f"icon{self._n}"] = name
            return self.add({"component": "Icon", "name": {"path": f"/icon{self._n}"}})
        if r < 0.13:
            return self.add({"component": "Icon", "name": {"svgPath": self.r.choice((
                "M12 2L2 22h20L12 2z", "M4 4h16v16H4z", "M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20z",
                "M3 12h18M12 3v18"))}})
        return self.add({"component": "Icon", "name": name})

    def image(self, variant: str | None = None) -> str:
        comp = {"component": "Image",
                "url": f"https://images.example.com/{self.w.pick(NOUNS)}-{self.r.randint(1, 999)}.jpg"}
        if self.r.random() < 0.6:
            comp["description"] = self.w.title()
        variant = variant or self.r.choice(IMAGE_VARIANTS + (None,))
        if variant:
            comp["variant"] = variant
        if self.r.random() < 0.4:
            comp["fit"] = self.r.choice(IMAGE_FITS)
        return self.add(comp)

    def video(self) -> str:
        return self.add({"component": "Video", "url": f"https://media.example.com/{self.w.pick(NOUNS)}.mp4"})

    def audio(self) -> str:
        comp = {"component": "AudioPlayer", "url": f"https://media.example.com/{self.w.pick(NOUNS)}.mp3"}
        if self.r.random() < 0.7:
            comp["description"] = f"{self.w.pick(SONGS)} — {self.w.pick(ARTISTS)}"
        return self.add(comp)

    def divider(self, axis: str | None = None) -> str:
        comp = {"component": "Divider"}
        if axis or self.r.random() < 0.2:
            comp["axis"] = axis or self.r.choice(("horizontal", "vertical"))
        return self.add(comp)

    def row(self, children: list[str], justify=None, align=None, weights: bool = False) -> str:
        return self._box("Row", children, justify, align, weights)

    def column(self, children: list[str], justify=None, align=None, weights: bool = False) -> str:
        return self._box("Column", children, justify, align, weights)

    def _box(self, kind, children, justify, align, weights) -> str:
        comp = {"component": kind, "children": list(children)}
        if justify or self.r.random() < 0.3:
            comp["justify"] = justify or self.r.choice(JUSTIFY)
        if align or self.r.random() < 0.3:
            comp["align"] = align or self.r.choice(ALIGN)
        if weights or self.r.random() < 0.15:
            for c in children:
                if self.r.random() < 0.6:
                    self.weighted(c)
        return self.add(comp)

    def card(self, child: str) -> str:
        return self.add({"component": "Card", "child": child})

    def list_static(self, children: list[str], direction: str | None = None) -> str:
        comp = {"component": "List", "children": list(children)}
        if direction or self.r.random() < 0.2:
            comp["direction"] = direction or self.r.choice(("vertical", "horizontal"))
        if self.r.random() < 0.3:
            comp["align"] = self.r.choice(ALIGN)
        return self.add(comp)

    def template_list(self, key: str, items: list, item_component: str, kind: str = "List",
                      direction: str | None = None) -> str:
        """A List/Column/Row whose children come from a data-model list via a template."""
        k = f"{key}{self._n}"
        self.data[k] = items
        comp = {"component": kind, "children": {"componentId": item_component, "path": f"/{k}"}}
        if kind == "List" and (direction or self.r.random() < 0.15):
            comp["direction"] = direction or "horizontal"
        return self.add(comp)

    def button(self, label: str | None = None, variant: str | None = None, *, icon: str | None = None,
               template: bool = False) -> str:
        if icon and self.r.random() < 0.5:
            inner = self.row([self.icon(icon), self.text(label or self.w.button(), NO_VARIANT, bind=0)],
                             align="center")
        elif icon:
            inner = self.icon(icon)
        else:
            inner = self.text(label or self.w.button(), NO_VARIANT if self.r.random() < 0.8 else None, bind=0)
        comp = {"component": "Button", "child": inner,
                "action": {"event": {"name": self.r.choice(("submit", "open", "save", "next", "select")),
                                     "context": {}}}}
        variant = variant if variant is not None else self.r.choice(("default", "primary", "borderless", None))
        if variant:
            comp["variant"] = variant
        return self.add(comp, interactive=True, template=template)

    def text_field(self, label: str | None = None, variant: str | None = None, value=None,
                   checks: bool | None = None) -> str:
        label = label or self.w.label()
        if variant is None:
            low = label.lower()
            variant = ("obscured" if "password" in low else "number" if low in ("amount", "quantity")
                       else "longText" if low in ("notes", "message", "comment", "description") and self.r.random() < 0.7
                       else self.r.choice(("shortText", "shortText", None)))
        value = self.w.text_value(label) if value is None else value
        if variant == "number" and value and not value.replace(".", "", 1).isdigit():
            value = str(self.r.randint(0, 500))
        k = f"field{self._n}"
        self.data[k] = value
        comp = {"component": "TextField", "label": label, "value": {"path": f"/{k}"}}
        if variant:
            comp["variant"] = variant
        if checks or (checks is None and self.r.random() < 0.3):
            rule = self.r.choice(("required", "email", "length"))
            if rule == "length":
                cond = {"call": "length", "args": {"value": {"path": f"/{k}"}, "min": self.r.choice((3, 8))}}
                msg = "Too short"
            else:
                cond = {"call": rule, "args": {"value": {"path": f"/{k}"}}}
                msg = "This field is required" if rule == "required" else "Enter a valid email address"
            comp["checks"] = [{"condition": cond, "message": msg}]
        if self.r.random() < 0.1:
            comp["validationRegexp"] = r"^[A-Za-z ]*$"
        return self.add(comp, interactive=True)

    def checkbox(self, label: str | None = None, checked: bool | None = None) -> str:
        checked = self.r.random() < 0.5 if checked is None else checked
        label = label if label is not None else self.w.pick((
            "Remember me", "Send me updates", "I agree to the terms", "Dark mode", "Notifications",
            "Auto-save", "Show hidden files", f"{self.w.pick(VERBS).capitalize()} the {self.w.pick(NOUNS)}",
            "Wi-Fi", "Bluetooth", "Location services", "Sync over cellular", ""))
        k = f"check{self._n}"
        if self.r.random() < 0.85:
            self.data[k] = checked
            value = {"path": f"/{k}"}
        else:
            value = checked
        return self.add({"component": "CheckBox", "label": label, "value": value}, interactive=True)

    def choice(self, options: list[str] | None = None, variant: str | None = None,
               style: str | None = None) -> str:
        options = options or self.r.sample(self.r.choice((
            ["Small", "Medium", "Large", "Extra large"], ["Red", "Green", "Blue", "Black", "White"],
            ["Daily", "Weekly", "Monthly", "Never"], list(CITIES), ["Email", "SMS", "Push", "None"],
            ["Economy", "Premium", "Business", "First"], ["Low", "Normal", "High", "Critical"],
            ["Oat milk", "Whole milk", "Almond", "Soy", "No milk"])), k=self.r.randint(2, 4))
        variant = variant or self.r.choice(("multipleSelection", "mutuallyExclusive", None))
        n_sel = 0 if self.r.random() < 0.2 else 1 if variant != "multipleSelection" else self.r.randint(1, len(options))
        values = [o.lower().replace(" ", "-") for o in options]
        selected = self.r.sample(values, k=n_sel)
        k = f"choice{self._n}"
        self.data[k] = selected
        comp = {"component": "ChoicePicker", "options": [{"label": o, "value": v} for o, v in zip(options, values)],
                "value": {"path": f"/{k}"}}
        if self.r.random() < 0.7:
            comp["label"] = self.w.pick(("Size", "Colour", "Frequency", "City", "Notify me by", "Class",
                                         "Priority", "Milk", "Choose one", "Options"))
        if variant:
            comp["variant"] = variant
        style = style or self.r.choice(("checkbox", "chips", None))
        if style:
            comp["displayStyle"] = style
        if self.r.random() < 0.15:
            comp["filterable"] = True
        return self.add(comp, interactive=True)

    def slider(self, label: str | None = None) -> str:
        lo, hi = self.r.choice(((0, 100), (0, 10), (1, 5), (-20, 40), (0, 1), (0, 255)))
        value = round(self.r.uniform(lo, hi), 1 if hi - lo <= 10 else 0)
        k = f"slider{self._n}"
        self.data[k] = value
        comp = {"component": "Slider", "value": {"path": f"/{k}"}, "max": hi}
        if lo != 0 or self.r.random() < 0.3:
            comp["min"] = lo
        label = label if label is not None else self.w.pick(("Volume", "Brightness", "Temperature", "Zoom",
                                                             "Speed", "Opacity", "Rating", "Budget", None))
        if label:
            comp["label"] = label
        return self.add(comp, interactive=True)

    def datetime(self, label: str | None = None) -> str:
        mode = self.r.choice(("date", "time", "both", "both"))
        value = {"date": self.w.date(), "time": self.w.time(),
                 "both": f"{self.w.date()}T{self.w.time()}:00"}[mode]
        if self.r.random() < 0.12:
            value = ""
        k = f"when{self._n}"
        self.data[k] = value
        comp = {"component": "DateTimeInput", "value": {"path": f"/{k}"}}
        if mode in ("date", "both"):
            comp["enableDate"] = True
        if mode in ("time", "both"):
            comp["enableTime"] = True
        label = label if label is not None else self.w.pick(("Due", "Start", "Date", "Departure",
                                                             "Reminder", "Birthday", None))
        if label:
            comp["label"] = label
        if mode == "date" and self.r.random() < 0.3:
            comp["min"] = "2024-01-01"
            comp["max"] = "2027-12-31"
        return self.add(comp, interactive=True)

    def tabs(self, pages: list[tuple[str, str]]) -> str:
        return self.add({"component": "Tabs", "tabs": [{"title": t, "child": c} for t, c in pages]},
                        interactive=True)

    def modal(self, trigger_label: str | None = None) -> str:
        trigger = self.button(trigger_label or self.w.pick(("Details", "Open dialog", "More info", "Delete…",
                                                            "Preferences", "Help")))
        body = self.column([self.text(self.w.pick(("Are you sure?", "Details", "Confirm", "About")), "h3"),
                            self.text(self.w.sentence(), "body"),
                            self.row([self.button("Cancel", "borderless"), self.button("OK", "primary")],
                                     justify="end")])
        cid = self.add({"component": "Modal", "trigger": trigger, "content": body})
        self.modal_triggers.append(trigger)
        return cid

    def random_leaf(self, depth: int = 0) -> str:
        """Any component, weighted towards common ones; containers recurse a little."""
        kinds = ["Text"] * 6 + ["Button"] * 3 + ["TextField"] * 2 + ["CheckBox"] * 2 + [
            "Icon", "Image", "Divider", "Slider", "ChoicePicker", "DateTimeInput", "Video", "AudioPlayer"]
        if depth < 2:
            kinds += ["Row", "Column", "Card", "List", "Tabs", "Modal"]
        k = self.r.choice(kinds)
        if k == "Text":
            return self.text(self.w.sentence() if self.r.random() < 0.3 else None)
        if k in ("Row", "Column", "List"):
            kids = [self.random_leaf(depth + 1) for _ in range(self.r.randint(1, 3))]
            return {"Row": self.row, "Column": self.column, "List": self.list_static}[k](kids)
        if k == "Card":
            return self.card(self.random_leaf(depth + 1))
        if k == "Tabs":
            return self.tabs([(self.w.pick(("General", "Details", "Advanced", "History", "Info")) + f" {i + 1}" * (i > 2),
                               self.random_leaf(depth + 1)) for i in range(self.r.randint(2, 3))])
        return {"Button": self.button, "TextField": self.text_field, "CheckBox": self.checkbox,
                "Icon": self.icon, "Image": self.image, "Divider": self.divider, "Slider": self.slider,
                "ChoicePicker": self.choice, "DateTimeInput": self.datetime, "Video": self.video,
                "AudioPlayer": self.audio, "Modal": self.modal}[k]()

    def finish(self, root_child: str, wrap: str | None = None) -> list[dict]:
        """Messages for this surface: components (root = root_child, optionally wrapped) and data."""
        kind = wrap or self.r.choice(("Card", "Column", "none", "none"))
        if kind == "Card":
            root = {"id": "root", "component": "Card", "child": root_child}
        elif kind == "Column":
            root = {"id": "root", "component": "Column", "children": [root_child]}
        else:  # rename the child to root
            root = None
            for c in self.components:   # nothing refers to the top component: renaming it is safe
                if c["id"] == root_child:
                    c["id"] = "root"
        comps = ([root] if root else []) + self.components
        msgs = [{"version": V, "updateComponents": {"surfaceId": self.sid, "components": comps}}]
        if self.data:
            msgs.append({"version": V, "updateDataModel": {"surfaceId": self.sid, "path": "/", "value": self.data}})
        return msgs


# ---------------------------------------------------------------------------------------------
# Apps: plausible compositions. Each returns the id of its top component.
def app_login(b: SurfaceBuilder) -> str:
    w = b.w
    head = b.column([b.text(b.r.choice(("Welcome back", "Sign in", "Create account", f"{w.pick(COMPANIES)} ID")), "h2"),
                     b.text(b.r.choice(("Sign in to your account", "Use your work email", "It only takes a minute")),
                            "caption")], align=b.r.choice(("center", "start")))
    email = b.text_field("Email", "shortText", checks=True)
    pwd = b.text_field("Password", "obscured")
    kids = [head, email, pwd]
    if b.r.random() < 0.6:
        kids.append(b.checkbox("Remember me"))
    kids.append(b.button(b.r.choice(("Sign in", "Continue", "Log in")), "primary"))
    if b.r.random() < 0.5:
        kids.append(b.divider())
        kids.append(b.row([b.text("Don't have an account?", "caption"), b.button("Sign up", "borderless")],
                          justify="center", align="center"))
    return b.column(kids)


def app_form(b: SurfaceBuilder) -> str:
    w = b.w
    kids = [b.text(b.r.choice(("Contact us", "New order", "Shipping address", "Book a table", "Feedback",
                               "Add contact", "New event", "Expense report")), b.r.choice(("h2", "h3")))]
    for _ in range(b.r.randint(2, 5)):
        r = b.r.random()
        if r < 0.5:
            kids.append(b.text_field())
        elif r < 0.65:
            kids.append(b.row([b.text_field(), b.text_field()], weights=True))
        elif r < 0.75:
            kids.append(b.datetime())
        elif r < 0.88:
            kids.append(b.choice())
        else:
            kids.append(b.checkbox())
    kids.append(b.row([b.button("Cancel", b.r.choice(("borderless", "default"))), b.button(w.button(), "primary")],
                      justify=b.r.choice(("end", "spaceBetween", "start"))))
    return b.column(kids)


def app_todo(b: SurfaceBuilder) -> str:
    w = b.w
    items = [{"title": w.title(), "done": b.r.random() < 0.4, "due": w.date()} for _ in range(b.r.randint(2, 7))]
    title = b.add({"component": "Text", "text": {"path": "title"}})
    due = b.add({"component": "Text", "text": {"path": "due"}, "variant": "caption"})
    check = b.add({"component": "CheckBox", "label": "", "value": {"path": "done"}}, interactive=True, template=True)
    item = b.row([check, b.column([title, due]), ], align="center")
    header = b.row([b.text(b.r.choice(("Tasks", "To do", "Shopping list", "Today", f"{w.pick(NOUNS).capitalize()} checklist")), "h2"),
                    b.button(None, "borderless", icon="add")], justify="spaceBetween", align="center")
    lst = b.template_list("tasks", items, item, kind=b.r.choice(("List", "Column")))
    kids = [header, lst]
    if b.r.random() < 0.5:
        kids.insert(1, b.row([b.text_field("New task", "shortText", value=""), b.button("Add", "primary")],
                             align="end", weights=False))
    return b.column(kids)


def app_inbox(b: SurfaceBuilder) -> str:
    w = b.w
    items = [{"from": w.name(), "subject": w.title(), "preview": w.sentence(), "time": w.time()}
             for _ in range(b.r.randint(3, 8))]
    row = b.row([b.add({"component": "Icon", "name": "mail"}),
                 b.column([b.row([b.add({"component": "Text", "text": {"path": "from"}, "variant": "h5"}),
                                  b.add({"component": "Text", "text": {"path": "time"}, "variant": "caption"})],
                                 justify="spaceBetween"),
                           b.add({"component": "Text", "text": {"path": "subject"}}),
                           b.add({"component": "Text", "text": {"path": "preview"}, "variant": "caption"})])],
                align="start")
    lst = b.template_list("mail", items, row)
    tools = b.row([b.button("Compose", "primary", icon="edit"), b.button(None, "borderless", icon="refresh"),
                   b.button(None, "borderless", icon="search")], align="center")
    return b.column([tools, b.divider(), lst])


def app_settings(b: SurfaceBuilder) -> str:
    w = b.w
    pages = [("General", lambda: b.column([b.checkbox() for _ in range(b.r.randint(2, 4))] + [b.slider()])),
             ("Appearance", lambda: b.column([b.choice(["Light", "Dark", "System"], "mutuallyExclusive"),
                                              b.slider("Font size"), b.checkbox("Reduce motion")])),
             ("Account", lambda: b.column([b.text_field("Full name"), b.text_field("Email"),
                                           b.row([b.button("Sign out", "default"),
                                                  b.button("Delete account", "borderless")])]))]
    if b.r.random() < 0.4:
        pages.append(("Privacy", lambda: b.column([b.checkbox("Location services"), b.checkbox("Analytics"),
                                                   b.text(w.sentence(), "caption")])))
    if b.r.random() < 0.2:
        b.r.shuffle(pages)
    if b.r.random() < 0.35:   # settings without tabs: a few sections in a column
        sections = [b.column([b.text(t, "h4"), make()]) for t, make in pages[:b.r.randint(1, 3)]]
        return b.column([b.text("Settings", "h2")] + sections)
    built = [(t, make()) for t, make in pages]
    return b.column([b.text(b.r.choice(("Settings", "Preferences", f"{w.pick(APPS)} settings")), "h2"),
                     b.tabs(built)])


def app_dashboard(b: SurfaceBuilder) -> str:
    w = b.w
    stats = []
    for _ in range(b.r.randint(2, 4)):
        value = b.r.choice((f"{b.r.randint(1, 999)}", f"{b.r.randint(1, 99)}%", f"{b.r.uniform(1, 99):.1f}k"))
        if b.r.random() < 0.3:
            amount = w.money()
            b.data[f"amt{b._n}"] = amount
            value_id = b.add({"component": "Text", "variant": "h2", "text": {
                "call": "formatCurrency", "args": {"value": {"path": f"/amt{b._n}"},
                                                   "currency": b.r.choice(CURRENCIES)}, "returnType": "string"}})
        else:
            value_id = b.text(value, "h2")
        stats.append(b.card(b.column([b.row([b.icon(), b.text(w.pick(("Revenue", "Users", "Orders", "Uptime",
                                                                      "Tickets", "Sessions", "Storage", "Steps")), "caption")],
                                            align="center"),
                                      value_id, b.text(f"{b.r.choice('+−')}{b.r.randint(1, 40)}% vs last week", "caption")])))
    kids = [b.row([b.text(b.r.choice(("Overview", "Dashboard", f"{w.pick(COMPANIES)} metrics")), "h2"),
                   b.button(None, "borderless", icon=b.r.choice(("refresh", "moreVert", "settings")))],
                  justify="spaceBetween", align="center"),
            b.row(stats, weights=True)]
    if b.r.random() < 0.5:
        kids.append(b.row([b.text("Goal", "body"), b.slider(None)], align="center"))
    if b.r.random() < 0.5:
        kids.append(b.card(b.column([b.text("Recent activity", "h4")] +
                                    [b.text(f"{w.time()}  {w.sentence()}", "caption") for _ in range(b.r.randint(1, 3))])))
    return b.column(kids)


def app_player(b: SurfaceBuilder) -> str:
    w = b.w
    song = b.text(w.pick(SONGS), "h3")
    artist = b.text(w.pick(ARTISTS), "caption")
    media = b.r.choice(("image", "video", "audio"))
    art = b.image(b.r.choice(("mediumFeature", "largeFeature", "smallFeature"))) if media == "image" else \
        b.video() if media == "video" else b.audio()
    controls = b.row([b.button(None, "borderless", icon="skipPrevious"),
                      b.button(None, b.r.choice(("primary", "default")), icon=b.r.choice(("play", "pause"))),
                      b.button(None, "borderless", icon="skipNext")], justify="center", align="center")
    kids = [art, song, artist, b.slider(""), controls]
    if b.r.random() < 0.5:
        kids.append(b.row([b.icon("volumeDown"), b.slider(None), b.icon("volumeUp")], align="center"))
    return b.column(kids, align=b.r.choice(("center", "stretch")))


def app_tracklist(b: SurfaceBuilder) -> str:
    w = b.w
    tracks = [{"n": i + 1, "title": w.pick(SONGS), "artist": w.pick(ARTISTS),
               "length": f"{b.r.randint(2, 6)}:{b.r.randint(0, 59):02d}"} for i in range(b.r.randint(3, 9))]
    item = b.row([b.add({"component": "Text", "text": {"call": "formatNumber", "args": {"value": {"path": "n"}},
                                                       "returnType": "string"}, "variant": "caption"}),
                   b.column([b.add({"component": "Text", "text": {"path": "title"}}),
                             b.add({"component": "Text", "text": {"path": "artist"}, "variant": "caption"})]),
                   b.add({"component": "Text", "text": {"path": "length"}, "variant": "caption"})],
                  align="center", justify="spaceBetween")
    head = b.row([b.icon("play"), b.text(f"{w.pick(('Road trip', 'Focus', 'Morning', 'Chill'))} mix", "h3")], align="center")
    return b.column([head, b.divider(), b.template_list("tracks", tracks, item, kind="Column")])


def app_profile(b: SurfaceBuilder) -> str:
    w = b.w
    name = w.name()
    kids = [b.row([b.image("avatar"), b.column([b.text(name, "h3"), b.text(w.email(name), "caption"),
                                                b.text(f"{w.pick(CITIES)} · {w.pick(COMPANIES)}", "caption")])],
                  align="center"),
            b.text(w.paragraph(1, 2), "body"),
            b.row([b.column([b.text(str(b.r.randint(0, 999)), "h4"), b.text("Posts", "caption")], align="center"),
                   b.column([b.text(f"{b.r.uniform(0.1, 20):.1f}k", "h4"), b.text("Followers", "caption")], align="center"),
                   b.column([b.text(str(b.r.randint(0, 999)), "h4"), b.text("Following", "caption")], align="center")],
                  justify="spaceAround"),
            b.row([b.button("Follow", "primary"), b.button("Message", "default", icon="mail")])]
    if b.r.random() < 0.3:
        kids.insert(0, b.image("header"))
    return b.column(kids)


def app_product(b: SurfaceBuilder) -> str:
    w = b.w
    amount = w.money()
    b.data["price"] = amount
    price = b.add({"component": "Text", "variant": "h3", "text": {
        "call": "formatCurrency", "args": {"value": {"path": "/price"}, "currency": b.r.choice(CURRENCIES)},
        "returnType": "string"}})
    kids = [b.image(b.r.choice(("mediumFeature", "largeFeature", "header"))), b.text(w.pick(PRODUCTS), "h2"),
            b.row([b.icon("star"), b.text(f"{b.r.uniform(3, 5):.1f} ({b.r.randint(3, 2000)} reviews)", "caption")],
                  align="center"),
            price, b.choice(None, "mutuallyExclusive", "chips")]
    if b.r.random() < 0.5:
        kids.append(b.text(w.sentence(), "body"))
    kids.append(b.row([b.button("Add to cart", "primary", icon="shoppingCart"), b.button(None, "borderless", icon="favorite")],
                      align="center"))
    return b.column(kids)


def app_chat(b: SurfaceBuilder) -> str:
    w = b.w
    msgs = [{"who": w.pick(FIRST), "text": w.sentence(), "time": w.time()} for _ in range(b.r.randint(2, 6))]
    bubble = b.card(b.column([b.row([b.add({"component": "Text", "text": {"path": "who"}, "variant": "h5"}),
                                     b.add({"component": "Text", "text": {"path": "time"}, "variant": "caption"})],
                                    justify="spaceBetween"),
                              b.add({"component": "Text", "text": {"path": "text"}})]))
    lst = b.template_list("messages", msgs, bubble, kind="List")
    field_id = b.text_field("Message", "shortText", value=b.r.choice(("", "", w.sentence()[:30])), checks=False)
    b.weighted(field_id, 1)
    composer = b.row([field_id, b.button(None, "primary", icon="send")], align="end")
    return b.column([b.row([b.image("avatar"), b.text(w.name(), "h4")], align="center"), b.divider(), lst, composer])


def app_weather(b: SurfaceBuilder) -> str:
    w = b.w
    days = [{"day": d, "hi": f"{b.r.randint(5, 35)}°", "lo": f"{b.r.randint(-10, 15)}°"}
            for d in b.r.sample(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], k=b.r.randint(3, 5))]
    day = b.column([b.add({"component": "Text", "text": {"path": "day"}, "variant": "caption"}),
                    b.add({"component": "Icon", "name": b.r.choice(("info", "warning", "star"))}),
                    b.add({"component": "Text", "text": {"path": "hi"}}),
                    b.add({"component": "Text", "text": {"path": "lo"}, "variant": "caption"})], align="center")
    return b.column([b.row([b.icon("locationOn"), b.text(w.pick(CITIES), "h3")], align="center"),
                     b.text(f"{b.r.randint(-15, 38)}°C", "h1"),
                     b.text(b.r.choice(("Partly cloudy", "Sunny", "Light rain", "Snow showers", "Windy", "Fog")), "body"),
                     b.divider(),
                     b.template_list("days", days, day, kind="Row")])


def app_event(b: SurfaceBuilder) -> str:
    w = b.w
    kids = [b.text(w.title(), "h2"),
            b.row([b.icon("calendarToday"), b.text(f"{w.date()} · {w.time()}–{w.time()}", "body")], align="center"),
            b.row([b.icon("locationOn"), b.text(f"{w.pick(STREETS)}, {w.pick(CITIES)}", "body")], align="center"),
            b.text(w.paragraph(1, 3), "body"), b.datetime("Reminder"), b.divider(),
            b.row([b.button("Accept", "primary"), b.button("Decline", "default"), b.modal("More")])]
    return b.column(kids)


def app_files(b: SurfaceBuilder) -> str:
    w = b.w
    files = [{"name": f"{w.pick(NOUNS)}-{b.r.randint(1, 99)}.{b.r.choice(('pdf', 'png', 'txt', 'xlsx', 'md'))}",
              "size": f"{b.r.uniform(0.1, 900):.1f} {b.r.choice(('KB', 'MB'))}", "icon": b.r.choice(("folder", "photo", "attachFile"))}
             for _ in range(b.r.randint(3, 10))]
    item = b.row([b.add({"component": "Icon", "name": {"path": "icon"}}),
                  b.weighted(b.add({"component": "Text", "text": {"path": "name"}}), 1),
                  b.add({"component": "Text", "text": {"path": "size"}, "variant": "caption"})], align="center")
    return b.column([b.row([b.text_field("Search", "shortText", value=b.r.choice(("", w.pick(NOUNS)))),
                            b.button(None, "borderless", icon="upload")], align="end"),
                     b.template_list("files", files, item, kind="List")])


def app_balance(b: SurfaceBuilder) -> str:
    w = b.w
    b.data["balance"] = round(b.r.uniform(-500, 99999), 2)
    bal = b.add({"component": "Text", "variant": "h1", "text": {
        "call": "formatCurrency", "args": {"value": {"path": "/balance"}, "currency": b.r.choice(CURRENCIES)},
        "returnType": "string"}})
    tx = [{"what": w.pick(COMPANIES), "amount": f"{b.r.choice('+−')}{w.money():.2f}", "when": w.date()}
          for _ in range(b.r.randint(2, 6))]
    item = b.row([b.column([b.add({"component": "Text", "text": {"path": "what"}}),
                            b.add({"component": "Text", "text": {"path": "when"}, "variant": "caption"})]),
                  b.add({"component": "Text", "text": {"path": "amount"}})], justify="spaceBetween")
    return b.column([b.text(f"{w.pick(('Checking', 'Savings', 'Travel'))} account", "caption"), bal,
                     b.row([b.button("Transfer", "primary", icon="payment"), b.button("Details", "default")]),
                     b.divider(), b.template_list("tx", tx, item)])


def app_kitchen_sink(b: SurfaceBuilder) -> str:
    """Random trees over the whole catalog: the odd combinations real apps rarely make."""
    return b.column([b.random_leaf() for _ in range(b.r.randint(2, 6))])


def app_notification(b: SurfaceBuilder) -> str:
    w = b.w
    return b.column([b.row([b.icon(b.r.choice(("notifications", "warning", "info", "error", "check"))),
                            b.text(b.r.choice(("Enable notifications?", "Update available", "Payment received",
                                               "Connection lost", "Backup complete")), "h3")], align="center"),
                     b.text(w.sentence(), "body"),
                     b.row([b.button("Not now", "borderless"), b.button(b.r.choice(("Allow", "Install", "OK", "Retry")), "primary")],
                           justify="end")], align=b.r.choice(("stretch", "center")))


APPS_BY_NAME = {
    "login": app_login, "form": app_form, "todo": app_todo, "inbox": app_inbox, "settings": app_settings,
    "dashboard": app_dashboard, "player": app_player, "tracklist": app_tracklist, "profile": app_profile,
    "product": app_product, "chat": app_chat, "weather": app_weather, "event": app_event, "files": app_files,
    "balance": app_balance, "notification": app_notification, "kitchen-sink": app_kitchen_sink,
}
APP_WEIGHTS = {name: 1.0 for name in APPS_BY_NAME} | {"kitchen-sink": 3.0, "form": 1.5, "settings": 1.5}


# ---------------------------------------------------------------------------------------------
@dataclass
class _Window:
    sid: str
    app: str
    builder: SurfaceBuilder
    messages: list[dict]


def _make_window(r: random.Random, words: _Words, taken: list[str], random_primary: float,
                 app: str | None = None) -> _Window:
    app = app or r.choices(list(APP_WEIGHTS), weights=list(APP_WEIGHTS.values()))[0]
    # Ids as an agent would name them; the window title falls back to the id ("Kitchen sink").
    sid, n = app, 1
    while sid in taken:
        n += 1
        sid = f"{app}-{n}"
    taken.append(sid)
    b = SurfaceBuilder(r, words, sid)
    top = APPS_BY_NAME[app](b)
    create = {"surfaceId": sid, "catalogId": BASIC_CATALOG_ID}
    theme = {}
    if r.random() < 0.7:
        common = r.random() < 1.0 - random_primary   # the same draw as before the odds were a parameter
        theme["primaryColor"] = r.choice(PRIMARY_COLORS) if common else "#%06X" % r.randint(0, 0xFFFFFF)
    if r.random() < 0.6:
        theme["agentDisplayName"] = r.choice((app.replace("-", " ").title(), words.pick(APPS),
                                              f"{words.pick(COMPANIES)} {words.pick(APPS)}"))
    if theme:
        create["theme"] = theme
    if r.random() < 0.3:
        create["sendDataModel"] = True
    msgs = [{"version": V, "createSurface": create}] + b.finish(top)
    return _Window(sid, app, b, msgs)


# Parts to aim at per component type (Scene part roles); a click there changes the component's state.
TARGET_PARTS = {
    "Tabs": ["tab", "tab.selected"],
    "ChoicePicker": ["check.indicator", "radio.indicator", "chip", "chip.selected", "list.item"],
    "Slider": ["slider.handle"],
    "CheckBox": ["check.indicator"],
}


def _target(r: random.Random, sid: str, comp: str, fx: float = 0.5, fy: float = 0.5, *,
            ctype: str | None = None, part: list[str] | None = None, index: int | None = None) -> dict:
    t = {"surface": sid, "component": comp, "fx": round(fx, 3), "fy": round(fy, 3), "pick": round(r.random(), 4)}
    if ctype:
        t["type"] = ctype
    part = part if part is not None else TARGET_PARTS.get(ctype or "")
    if part:
        t["part"] = list(part)
        t["index"] = index if index is not None else r.randrange(6)
    return t


def _pick_interactive(r: random.Random, win: _Window, types=None) -> dict | None:
    cands = [c for c in win.builder.interactive if types is None or c["type"] in types]
    return r.choice(cands) if cands else None


def generate_state(seed: int, *, sizes=DEFAULT_SIZES, sequence: bool | str = False,
                   themes=THEMES, random_primary: float = RANDOM_PRIMARY) -> UIState:
    """The state for `seed`: 1-3 windows of realistic apps, a theme, a size, window placement, and
    either an interaction (hover/press/focus/typing/toggle, or none) or, with `sequence`, a short
    sequence with a capture step. `sequence` may name a kind from SEQUENCE_KINDS. A window with a
    primary colour gets any colour with `random_primary` odds, else one of `PRIMARY_COLORS`."""
    if not 0.0 <= random_primary <= 1.0:
        raise BadInput(f"random_primary must be between 0 and 1, not {random_primary}")
    r = random.Random(f"neuralos-state:{GENERATOR_VERSION}:{seed}:{sequence}")
    words = _Words(r)
    # The size has its own stream: the same seed gives the same UI whatever size list is in use.
    w, h = random.Random(f"neuralos-size:{seed}:{sequence}").choice(list(sizes))
    theme = r.choice(list(themes))
    n_windows = r.choices((1, 2, 3), weights=(0.5, 0.35, 0.15))[0]
    taken: list[str] = []
    windows = [_make_window(r, words, taken, random_primary) for _ in range(n_windows)]
    messages = [m for win in windows for m in win.messages]
    script: list[dict] = []
    # Window placement: move some windows, maybe minimise a background one, maybe raise one.
    for win in windows:
        if r.random() < 0.6:
            script.append({"op": "window", "action": "move", "surface": win.sid,
                           "to": [round(r.uniform(0, 0.6), 3), round(r.uniform(0, 0.5), 3)]})
    if n_windows > 1 and r.random() < 0.15:
        script.append({"op": "window", "action": "minimize", "surface": windows[0].sid})
    top = windows[-1]
    if n_windows > 1 and r.random() < 0.2:
        top = windows[r.randrange(n_windows - 1)]
        script.append({"op": "window", "action": "raise", "surface": top.sid})

    if not sequence:
        kind = _interaction(r, words, top, script)
    else:
        kind = "seq:" + _sequence(r, words, top, windows, script, None if sequence is True else sequence,
                                  random_primary)
    state = UIState(seed=seed, width=w, height=h, theme=theme, messages=messages, script=script, kind=kind,
                    random_primary=random_primary)
    return state


def _interaction(r: random.Random, words: _Words, top: _Window, script: list[dict]) -> str:
    """A single-frame interaction state on the focused window."""
    needs = {"focus": ("TextField",), "typed": ("TextField",), "toggled": ("CheckBox", "ChoicePicker", "Tabs")}
    types = {c["type"] for c in top.builder.interactive}
    possible = [k for k in INTERACTION_KINDS if k == "none" or types & set(needs.get(k, INTERACTIVE_TYPES))]
    kind = r.choices(possible, weights=[{"hover": 0.25, "press": 0.1, "focus": 0.1, "typed": 0.1, "toggled": 0.15,
                                          "none": 0.3}[k] for k in possible])[0]
    c = _pick_interactive(r, top, needs.get(kind))
    if kind == "none" or c is None:
        if r.random() < 0.5:  # pointer somewhere harmless
            script.append({"op": "move", "target": {"point": [round(r.random(), 3), round(r.random(), 3)]}})
        return "static"
    t = _target(r, top.sid, c["component"], r.uniform(0.3, 0.7), r.uniform(0.3, 0.7), ctype=c["type"])
    if kind == "hover":
        script.append({"op": "move", "target": t})
    elif kind == "press":
        script += [{"op": "move", "target": t}, {"op": "press", "target": t}]
    elif kind == "focus":
        script.append({"op": "click", "target": t})
    elif kind == "typed":
        script += [{"op": "click", "target": t}, {"op": "type", "text": words.typed()}]
    elif kind == "toggled":
        script.append({"op": "click", "target": t})
    return kind


def _sequence(r, words, top: _Window, windows: list[_Window], script: list[dict], kind: str | None,
              random_primary: float) -> str:
    """Append setup steps, a capture, and the change; return the sequence kind used."""
    types = {c["type"] for c in top.builder.interactive}
    if top.builder.modal_triggers:
        types.add("Modal")
    possible = [k for k, need in SEQUENCE_KINDS.items() if need is None or need in types]
    if kind is not None and kind not in possible:
        raise BadInput(f"sequence kind {kind!r} needs a {SEQUENCE_KINDS.get(kind)} in the focused window "
                       f"(possible here: {', '.join(possible)})")
    if kind is None:
        # Component-specific changes are rarer in random layouts: weight them up so every kind is well
        # represented; window changes are cheap to learn and weighted down.
        weights = [3.0 if SEQUENCE_KINDS[k] else 0.6 if k.startswith("window") or k in ("data-update", "scroll")
                   else 1.0 for k in possible]
        kind = r.choices(possible, weights=weights)[0]
    c = _pick_interactive(r, top)
    t = _target(r, top.sid, c["component"], r.uniform(0.3, 0.7), r.uniform(0.3, 0.7), ctype=c["type"]) if c else \
        {"surface": top.sid, "role": "window.close", "fx": 0.5, "fy": 0.5, "pick": round(r.random(), 4)}
    away = {"point": [round(r.uniform(0.0, 1.0), 3), round(r.uniform(0.9, 1.0), 3)]}

    def typed_target(types_, fx=None, fy=None, **kw):
        cc = _pick_interactive(r, top, types_)
        fx = r.uniform(0.3, 0.7) if fx is None else fx
        fy = r.uniform(0.3, 0.7) if fy is None else fy
        return _target(r, top.sid, cc["component"], fx, fy, ctype=cc["type"], **kw)

    cap = {"op": "capture"}
    if kind == "hover":
        script += [{"op": "move", "target": away}, cap, {"op": "move", "target": t}]
    elif kind == "press":
        script += [{"op": "move", "target": t}, cap, {"op": "press", "target": t}]
    elif kind == "release":
        script += [{"op": "move", "target": t}, {"op": "press", "target": t}, cap, {"op": "release", "target": t}]
    elif kind == "focus":
        script += [cap, {"op": "click", "target": typed_target(("TextField",))}]
    elif kind == "typing":
        script += [{"op": "click", "target": typed_target(("TextField",))}, cap, {"op": "type", "text": words.typed()}]
    elif kind == "backspace":
        script += [{"op": "click", "target": typed_target(("TextField",))}, {"op": "type", "text": words.typed()},
                   cap, {"op": "key", "key": "Backspace"}]
    elif kind == "toggle":
        script += [cap, {"op": "click", "target": typed_target(("CheckBox",))}]
    elif kind == "choice":
        script += [cap, {"op": "click", "target": typed_target(("ChoicePicker",))}]
    elif kind == "tab":
        script += [cap, {"op": "click", "target": typed_target(("Tabs",), index=r.randrange(1, 4))}]
    elif kind == "slider":
        st = typed_target(("Slider",), fx=0.5, fy=0.5)
        to = dict(st, part=["slider.groove"], index=0, fx=round(r.uniform(0.02, 0.98), 3))
        script += [cap, {"op": "press", "target": st}, {"op": "move", "target": to}, {"op": "release", "target": to}]
    elif kind == "modal-open":
        trig = r.choice(top.builder.modal_triggers)
        script += [cap, {"op": "click", "target": _target(r, top.sid, trig)}]
    elif kind == "window-open":
        new = _make_window(r, words, [w.sid for w in windows], random_primary)
        script += [cap, {"op": "a2ui", "messages": new.messages}]
    elif kind == "window-close":
        script += [cap, {"op": "window", "action": "close", "surface": top.sid}]
    elif kind == "window-raise":
        other = windows[0] if windows[0] is not top else None
        if other is None:   # one window: open a second one first, then raise the first
            new = _make_window(r, words, [w.sid for w in windows], random_primary)
            script += [{"op": "a2ui", "messages": new.messages}]
            other = top
        script += [cap, {"op": "window", "action": "raise", "surface": other.sid}]
    elif kind == "window-move":
        script += [cap, {"op": "window", "action": "move", "surface": top.sid,
                         "to": [round(r.uniform(0, 0.6), 3), round(r.uniform(0, 0.5), 3)]}]
    elif kind == "data-update":
        b = top.builder
        bound = [k for k, v in b.data.items() if isinstance(v, (str, bool, int, float)) and not isinstance(v, list)]
        if bound:
            k = r.choice(bound)
            old = b.data[k]
            new_val = (not old) if isinstance(old, bool) else \
                round(r.uniform(0, 1) * (abs(old) + 10), 1) if isinstance(old, (int, float)) else words.title()
            msg = {"version": V, "updateDataModel": {"surfaceId": top.sid, "path": f"/{k}", "value": new_val}}
        else:
            msg = {"version": V, "updateDataModel": {"surfaceId": top.sid, "path": "/note", "value": words.title()}}
        script += [cap, {"op": "a2ui", "messages": [msg]}]
    elif kind == "scroll":   # over the topmost scroll bar of any window (no-op when nothing overflows)
        bar = {"surface": "*", "role": "scrollbar", "fx": 0.5, "fy": round(r.uniform(0.2, 0.8), 3),
               "pick": round(r.random(), 4)}
        script += [{"op": "move", "target": bar}, cap,
                   {"op": "scroll", "target": bar, "dy": r.choice((-1, -2, -3, -3, 1))}]
    return kind


def iter_states(split: str, count: int, *, start_seed: int = 0, sizes=DEFAULT_SIZES, sequence: bool = False,
                themes=THEMES, random_primary: float = RANDOM_PRIMARY, kinds: frozenset[str] | None = None,
                targets: frozenset[str] | None = None) -> Iterator[UIState]:
    """`count` validated states of `split`, from seeds start_seed, start_seed+1, ... (other-split seeds skipped);
    with `kinds` / `targets` (see `selection`), only states of those kinds whose input aims at those types."""
    if split not in SPLITS:
        raise BadInput(f"unknown split {split!r} (choose {', '.join(SPLITS)})")
    share = EVAL_PERCENT / 100 if split == "eval" else 1 - EVAL_PERCENT / 100
    seed, made, limit = start_seed, 0, KIND_SCAN_LIMIT * count / share
    while made < count:
        state = generate_state(seed, sizes=sizes, sequence=sequence, themes=themes, random_primary=random_primary)
        seed += 1
        if state.split == split and state.matches(kinds, targets):
            validate_state(state)
            made += 1
            yield state
        elif (kinds or targets) and seed - start_seed > limit:
            wanted = ", ".join([*sorted(kinds or ()), *sorted(targets or ())])
            raise BadInput(f"only {made} of {count} {'sequences' if sequence else 'single frames'} of {wanted} "
                           f"in {seed - start_seed} seeds; choose more common kinds or targets")


def selection(kinds=None, targets=None, random_primary: float = RANDOM_PRIMARY
              ) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """`kinds` and `targets` (names, or None for all) checked against `STATE_KINDS` and `INTERACTIVE_TYPES`, and
    `random_primary` against 0..1, before any work is done with them."""
    if not 0.0 <= random_primary <= 1.0:
        raise BadInput(f"--random-primary must be between 0 and 1, not {random_primary}")
    if kinds is not None:
        kinds = frozenset(kinds)
        unknown = sorted(kinds - STATE_KINDS)
        if unknown or not kinds:
            raise BadInput(f"unknown state kind(s) {', '.join(unknown) or '(none given)'}; "
                           f"choose from {', '.join(sorted(STATE_KINDS))}")
    if targets is not None:
        targets = frozenset(targets)
        unknown = sorted(targets - set(INTERACTIVE_TYPES))
        if unknown or not targets:
            raise BadInput(f"unknown target type(s) {', '.join(unknown) or '(none given)'}; "
                           f"choose from {', '.join(INTERACTIVE_TYPES)}")
    return kinds, targets


def regenerate(d: dict) -> UIState:
    """Copy of a stored state dict as a UIState (messages deep-copied: replay must not alias the store)."""
    return UIState.from_dict(copy.deepcopy(d))
