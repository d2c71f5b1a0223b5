"""Surface model: one A2UI surface with its flat component map and its JSON data model."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Iterator

from neuralos.a2ui import pointer


@dataclass
class Surface:
    id: str
    catalog_id: str
    theme: dict = field(default_factory=dict)
    send_data_model: bool = False
    components: dict[str, dict] = field(default_factory=dict)  # id -> component JSON, as sent
    data: Any = field(default_factory=dict)

    @property
    def root(self) -> dict | None:
        return self.components.get("root")

    def get_data(self, path: str, scope: str = "/", default: Any = None) -> Any:
        return pointer.get(self.data, pointer.resolve(path, scope), default)

    def child_ids(self, component: dict) -> list[str]:
        """Ids a component refers to structurally (static children, child, tabs, modal parts, templates)."""
        ids: list[str] = []
        children = component.get("children")
        if isinstance(children, list):
            ids += [c for c in children if isinstance(c, str)]
        elif isinstance(children, dict) and isinstance(children.get("componentId"), str):
            ids.append(children["componentId"])
        for key in ("child", "trigger", "content"):
            if isinstance(component.get(key), str):
                ids.append(component[key])
        for tab in component.get("tabs") or ():
            if isinstance(tab, dict) and isinstance(tab.get("child"), str):
                ids.append(tab["child"])
        return ids

    def expand_children(self, component: dict, scope: str = "/") -> Iterator[tuple[str, str]]:
        """(child id, data scope) pairs in display order; templates yield one per item of their list."""
        children = component.get("children")
        if isinstance(children, list):
            for c in children:
                yield c, scope
        elif isinstance(children, dict):
            list_path = pointer.resolve(children.get("path", "/"), scope)
            items = pointer.get(self.data, list_path)
            if isinstance(items, list):
                keys = range(len(items))
            elif isinstance(items, dict):
                keys = items.keys()
            else:
                keys = ()
            for k in keys:
                yield children["componentId"], pointer.join(pointer.split(list_path) + [str(k)])

    def copy(self) -> "Surface":
        return copy.deepcopy(self)

    def to_dict(self) -> dict:
        return {"id": self.id, "catalogId": self.catalog_id, "theme": self.theme,
                "sendDataModel": self.send_data_model,
                "components": list(self.components.values()), "dataModel": self.data}

    @classmethod
    def from_dict(cls, d: dict) -> "Surface":
        return cls(d["id"], d["catalogId"], d.get("theme") or {}, bool(d.get("sendDataModel")),
                   {c["id"]: c for c in d.get("components", [])}, d.get("dataModel", {}))
