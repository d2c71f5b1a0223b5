"""Planner test fixtures: a session with a builtin planner on a fake clock, clicking, tiny LMs."""
from __future__ import annotations

import pytest

from neuralos.planners.builtin import BuiltinPlanner
from neuralos.planners.runner import PlannerRunner
from neuralos.session import Session
from planner_helpers import FakeClock, action_for


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    (h / "Documents").mkdir(parents=True)
    return h


@pytest.fixture
def session():
    return Session()


@pytest.fixture
def builtin(clock, home):
    return BuiltinPlanner(clock=clock, home=home)


@pytest.fixture
def runner(session, builtin):
    r = PlannerRunner(session, builtin, timeout=10, schedule=False)
    yield r
    r.close()


@pytest.fixture
def click(session, runner):
    """click(surface, component, scope="/") -> PlanResult: the button's action through the runner."""
    def _click(surface_id: str, component_id: str, scope: str = "/"):
        return runner.run(action_for(session, surface_id, component_id, scope))
    return _click


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory):
    """A tiny random Llama folder (built once; do not modify)."""
    from neuralos.planners.tiny import write_tiny_lm

    return write_tiny_lm(tmp_path_factory.mktemp("tiny-lm") / "tiny-llama")
