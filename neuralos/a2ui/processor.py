"""Message processor: applies batches of A2UI server-to-client messages to the surfaces, atomically.

A batch is validated against the official schema, applied to copies of the surfaces it touches,
checked structurally, and only then committed: it applies whole or not at all. A rejection names the
message, the JSON path and what is wrong, and can be turned into the spec's `VALIDATION_FAILED` error.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

from neuralos.a2ui import pointer
from neuralos.a2ui.surface import Surface
from neuralos.a2ui.validate import CATALOG_FILES, Issue, json_kind, schema_issues, structure_issues
from neuralos.errors import BadInput
from neuralos.resources import BASIC_CATALOG_ID

VERSION = "v0.9"
MESSAGE_KINDS = ("createSurface", "updateComponents", "updateDataModel", "deleteSurface")


@dataclass(frozen=True)
class Change:
    """What a committed batch or a local edit changed on one surface."""

    surface_id: str
    kind: str                      # "created" | "components" | "data" | "deleted"
    ids: tuple[str, ...] = ()      # component ids (kind "components") or data pointers (kind "data")
    local: bool = False            # True for two-way-binding writes from the user's own input


class Rejected(BadInput):
    """A batch that was not applied. `issues` say where (JSON pointer into the batch) and what."""

    def __init__(self, issues: list[Issue], source: str = "A2UI"):
        self.issues = issues
        self.surface_id = ""
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(f"{first.message}{more}", where=f"{source} {first.path or '/'}")

    def error_message(self, surface_id: str = "") -> dict:
        """The client-to-server VALIDATION_FAILED error for the first issue."""
        first = self.issues[0]
        return {"version": VERSION, "error": {"code": "VALIDATION_FAILED",
                                              "surfaceId": surface_id or self.surface_id,
                                              "path": first.path or "/", "message": first.message}}


Listener = Callable[[list[Change]], None]


class MessageProcessor:
    """Holds the surfaces (in creation order) and applies messages to them."""

    def __init__(self) -> None:
        self.surfaces: dict[str, Surface] = {}
        self._listeners: list[Listener] = []

    # -- observing ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self, changes: list[Change]) -> None:
        if changes:
            for listener in list(self._listeners):
                listener(changes)

    # -- applying -------------------------------------------------------------------------------
    def apply(self, messages: list[dict], *, allow_pending: bool = False,
              source: str = "A2UI") -> list[Change]:
        """Validate and apply a batch; raise `Rejected` (nothing applied) if any message is wrong.

        `allow_pending` accepts references to components that have not arrived yet (streamed input);
        they render as nothing until they do. Everything else is checked either way.
        """
        if not isinstance(messages, list):
            raise Rejected([Issue("/", "a batch must be a list of messages")], source)
        issues: list[Issue] = []
        staged: dict[str, Surface | None] = {}   # surface id -> new surface (None = deleted)
        changes: list[Change] = []

        def current(sid: str) -> Surface | None:
            return staged[sid] if sid in staged else self.surfaces.get(sid)

        def writable(sid: str) -> Surface:
            if sid not in staged:
                staged[sid] = self.surfaces[sid].copy()
            return staged[sid]

        for i, msg in enumerate(messages):
            where = f"/{i}"
            if not isinstance(msg, dict):
                issues.append(Issue(where, f"a message must be a JSON object, not {type(msg).__name__}"))
                continue
            kind = next((k for k in MESSAGE_KINDS if k in msg), None)
            body = msg.get(kind) if kind else None
            sid = body.get("surfaceId") if isinstance(body, dict) else None
            sid = sid if isinstance(sid, str) else None
            catalog = BASIC_CATALOG_ID  # validate against the catalog the surface uses
            if kind == "createSurface" and isinstance(body, dict) and isinstance(body.get("catalogId"), str) \
                    and body["catalogId"] in CATALOG_FILES:
                catalog = body["catalogId"]
            elif sid is not None and current(sid) is not None:
                catalog = current(sid).catalog_id
            found = schema_issues(msg, where, catalog_id=catalog)
            if found:
                issues += found
                continue
            if kind == "createSurface" and body["catalogId"] not in CATALOG_FILES:
                issues.append(Issue(f"{where}/createSurface/catalogId", f"catalog {body['catalogId']!r} is not "
                                    f"supported (supported: {', '.join(CATALOG_FILES)})"))
                continue
            if kind == "createSurface":
                if current(sid) is not None:
                    issues.append(Issue(f"{where}/createSurface/surfaceId",
                                        f"surface {sid!r} already exists (delete it first)"))
                    continue
                staged[sid] = Surface(sid, body["catalogId"], copy.deepcopy(body.get("theme") or {}),
                                      bool(body.get("sendDataModel", False)))
                changes.append(Change(sid, "created"))
                continue
            if current(sid) is None:
                issues.append(Issue(f"{where}/{kind}/surfaceId", f"surface {sid!r} does not exist "
                                    "(send createSurface first)"))
                continue
            if kind == "deleteSurface":
                staged[sid] = None
                changes.append(Change(sid, "deleted"))
            elif kind == "updateComponents":
                surface = writable(sid)
                ids = []
                for j, comp in enumerate(body["components"]):
                    if comp["id"] in ids:
                        issues.append(Issue(f"{where}/updateComponents/components/{j}/id",
                                            f"duplicate component id {comp['id']!r} in one message"))
                    surface.components[comp["id"]] = copy.deepcopy(comp)
                    ids.append(comp["id"])
                changes.append(Change(sid, "components", tuple(ids)))
            elif kind == "updateDataModel":
                surface = writable(sid)
                path = body.get("path", "/")
                if path in ("", "/") and "value" in body and not isinstance(body["value"], dict):
                    issues.append(Issue(f"{where}/updateDataModel/value",
                                        f"the data model root must be a JSON object, not {json_kind(body['value'])}"))
                    continue
                try:
                    if "value" in body:
                        surface.data = pointer.set(surface.data, path, copy.deepcopy(body["value"]))
                    else:
                        surface.data = pointer.delete(surface.data, path)
                except pointer.PointerError as e:
                    issues.append(Issue(f"{where}/updateDataModel/path", str(e)))
                    continue
                changes.append(Change(sid, "data", (path,)))

        for sid, surface in staged.items():
            if surface is not None:
                issues += structure_issues(surface.components, f"/surfaces/{sid}/components",
                                           allow_pending=allow_pending)
        if issues:
            err = Rejected(issues, source)
            err.surface_id = next((s for s in staged), "")
            raise err
        for sid, surface in staged.items():
            if surface is None:
                self.surfaces.pop(sid, None)
            else:
                self.surfaces[sid] = surface
        self._notify(changes)
        return changes

    def set_data(self, surface_id: str, path: str, value: Any) -> Change:
        """A local two-way-binding write (TextField typing, CheckBox toggling): no planner round-trip.

        Raises `Rejected`, with nothing changed, for an unknown surface or a path the data cannot take
        (an index past the end of a list, a non-object root).
        """
        surface = self.surfaces.get(surface_id)
        if surface is None:
            raise Rejected([Issue("/surfaceId", f"surface {surface_id!r} does not exist")], "local edit")
        if path in ("", "/") and not isinstance(value, dict):
            raise Rejected([Issue(path, f"the data model root must be a JSON object, not {json_kind(value)}")],
                           "local edit")
        try:
            surface.data = pointer.set(copy.deepcopy(surface.data), path, copy.deepcopy(value))
        except pointer.PointerError as e:
            raise Rejected([Issue(path, str(e))], "local edit") from None
        change = Change(surface_id, "data", (path,), local=True)
        self._notify([change])
        return change

    # -- state ----------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """The whole state as JSON (for the journal and traces)."""
        return {"surfaces": [s.to_dict() for s in self.surfaces.values()]}

    def restore(self, snapshot: dict) -> None:
        self.surfaces = {d["id"]: Surface.from_dict(d) for d in snapshot.get("surfaces", [])}
        self._notify([Change(s, "created") for s in self.surfaces])

    def as_messages(self) -> list[dict]:
        """Messages that recreate the current state from scratch."""
        out = []
        for s in self.surfaces.values():
            create = {"surfaceId": s.id, "catalogId": s.catalog_id}
            if s.theme:
                create["theme"] = s.theme
            if s.send_data_model:
                create["sendDataModel"] = True
            out.append({"version": VERSION, "createSurface": create})
            if s.data not in ({}, None):
                out.append({"version": VERSION, "updateDataModel": {"surfaceId": s.id, "path": "/", "value": s.data}})
            if s.components:
                out.append({"version": VERSION, "updateComponents": {"surfaceId": s.id,
                                                                      "components": list(s.components.values())}})
        return out
