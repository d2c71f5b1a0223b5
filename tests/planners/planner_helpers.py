"""Helpers for the planner tests (imported by conftest and by tests)."""
from __future__ import annotations

from neuralos.a2ui.actions import build_action
from neuralos.session import Session


class FakeClock:
    """Seconds since the epoch that only move when a test says so."""

    def __init__(self, now: float = 1_750_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def action_for(session: Session, surface_id: str, component_id: str, scope: str = "/") -> dict:
    """The action message a click on `component_id` sends (as the shell builds it)."""
    surface = session.surfaces[surface_id]
    message = build_action(surface, surface.components[component_id], scope)
    assert isinstance(message, dict), f"{component_id} is disabled or has no event action"
    return message


def tick(surface_id: str, name: str = "tick") -> dict:
    """The action a scheduled timer sends."""
    return {"version": "v0.9", "action": {"name": name, "surfaceId": surface_id, "sourceComponentId": "root",
                                          "timestamp": "2026-01-01T00:00:00.000Z", "context": {}}}
