"""Small builders for basic-catalog components, in the idioms of the official examples.

    ui = UI()
    ui.column("root", [ui.text("title", "Notes", "h2"), ui.button("add", "Add", "add_note")])
    ui.components   # flat list, "root" first

Each method registers one component and returns its id, so trees read inside out.
"""
from __future__ import annotations

from typing import Any

from neuralos.resources import BASIC_CATALOG_ID

VERSION = "v0.9"


def path(p: str) -> dict:
    return {"path": p}


def call(name: str, returns: str = "boolean", **args) -> dict:
    return {"call": name, "args": args, "returnType": returns}


def required(p: str, message: str) -> dict:
    return {"condition": call("required", value=path(p)), "message": message}


class UI:
    def __init__(self) -> None:
        self._components: dict[str, dict] = {}

    @property
    def components(self) -> list[dict]:
        comps = list(self._components.values())
        comps.sort(key=lambda c: c["id"] != "root")
        return comps

    def add(self, cid: str, component: str, **props: Any) -> str:
        if cid in self._components:
            raise ValueError(f"duplicate component id {cid!r}")
        self._components[cid] = {"id": cid, "component": component,
                                 **{k: v for k, v in props.items() if v is not None}}
        return cid

    # -- display ----------------------------------------------------------------------------------
    def text(self, cid: str, text: str | dict, variant: str | None = None) -> str:
        return self.add(cid, "Text", text=text, variant=variant)

    def icon(self, cid: str, name: str | dict) -> str:
        return self.add(cid, "Icon", name=name)

    def divider(self, cid: str) -> str:
        return self.add(cid, "Divider")

    # -- layout -----------------------------------------------------------------------------------
    def column(self, cid: str, children: list[str] | dict, align: str | None = None,
               justify: str | None = None) -> str:
        return self.add(cid, "Column", children=children, align=align, justify=justify)

    def row(self, cid: str, children: list[str] | dict, align: str | None = None,
            justify: str | None = None) -> str:
        return self.add(cid, "Row", children=children, align=align, justify=justify)

    def list(self, cid: str, template: str, items_path: str) -> str:
        return self.add(cid, "List", children={"componentId": template, "path": items_path})

    def card(self, cid: str, child: str) -> str:
        return self.add(cid, "Card", child=child)

    # -- input ------------------------------------------------------------------------------------
    def button(self, cid: str, label: str | dict, event: str, context: dict | None = None,
               variant: str | None = None, checks: list | None = None) -> str:
        label_id = self.text(f"{cid}-label", label)
        return self.add(cid, "Button", child=label_id, variant=variant, checks=checks,
                        action={"event": {"name": event, "context": context or {}}})

    def field(self, cid: str, label: str, value_path: str, variant: str | None = None,
              checks: list | None = None) -> str:
        return self.add(cid, "TextField", label=label, value=path(value_path), variant=variant,
                        checks=checks)

    def checkbox(self, cid: str, label: str | dict, value_path: str) -> str:
        return self.add(cid, "CheckBox", label=label, value=path(value_path))

    def choice(self, cid: str, label: str, options: list[tuple[str, str]], value_path: str,
               chips: bool = False) -> str:
        return self.add(cid, "ChoicePicker", label=label, variant="mutuallyExclusive",
                        options=[{"label": lab, "value": val} for val, lab in options],
                        value=path(value_path), displayStyle="chips" if chips else None)


# -- messages ---------------------------------------------------------------------------------------

def create_surface(surface_id: str, title: str, app: str) -> dict:
    """createSurface for a builtin app: its title, and `neuralosApp` marking which app owns it."""
    return {"version": VERSION, "createSurface": {
        "surfaceId": surface_id, "catalogId": BASIC_CATALOG_ID,
        "theme": {"agentDisplayName": title, "neuralosApp": app}, "sendDataModel": True}}


def update_components(surface_id: str, components: list[dict]) -> dict:
    return {"version": VERSION, "updateComponents": {"surfaceId": surface_id, "components": components}}


def update_data(surface_id: str, value: Any, at: str = "/") -> dict:
    return {"version": VERSION, "updateDataModel": {"surfaceId": surface_id, "path": at, "value": value}}


def delete_surface(surface_id: str) -> dict:
    return {"version": VERSION, "deleteSurface": {"surfaceId": surface_id}}
