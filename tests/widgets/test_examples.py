"""Every official example renders, and its literal texts are in the scene."""
import json

import numpy as np
import pytest

from tests.conftest import EXAMPLES, MINIMAL_EXAMPLES
from neuralos.widgets import render_messages


def literal_texts(messages):
    out = []
    for m in messages:
        for c in (m.get("updateComponents") or {}).get("components", []):
            if c.get("component") == "Text" and isinstance(c.get("text"), str):
                out.append(c["text"])
    return out


@pytest.mark.parametrize("path", EXAMPLES + MINIMAL_EXAMPLES, ids=lambda p: p.stem)
def test_example_renders_with_its_texts(app, path):
    messages = json.loads(path.read_text())["messages"]
    frame, scene = render_messages(messages)
    assert frame.shape == (768, 1024, 3) and frame.dtype == np.uint8
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 20      # something was painted
    texts = "\n".join(scene.texts())
    for t in literal_texts(messages):
        assert t.replace("**", "") in texts, t
    assert any(n.role == "window" for n in scene.nodes)
