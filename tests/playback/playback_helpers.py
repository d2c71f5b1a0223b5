"""Helpers for playback tests: scripts with real-looking surfaces, video decoding."""
import json

import av
import numpy as np
from PIL import Image

CATALOG = "https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json"


def surface(sid, components, data=None, title=None):
    """A2UI messages (as one flow-style YAML list item each) that open surface `sid`."""
    create = {"surfaceId": sid, "catalogId": CATALOG}
    if title:
        create["theme"] = {"agentDisplayName": title}
    msgs = [{"version": "v0.9", "createSurface": create}]
    if data is not None:
        msgs.append({"version": "v0.9", "updateDataModel": {"surfaceId": sid, "path": "/", "value": data}})
    msgs.append({"version": "v0.9", "updateComponents": {"surfaceId": sid, "components": components}})
    return "  - a2ui:\n" + "".join(f"      - {json.dumps(m, ensure_ascii=False)}\n" for m in msgs)


FORM = surface("demo", [
    {"id": "root", "component": "Column", "children": ["t", "f", "c", "s", "b"]},
    {"id": "t", "component": "Text", "text": "Contract demo", "variant": "h2"},
    {"id": "f", "component": "TextField", "label": "Name", "value": {"path": "/name"}},
    {"id": "c", "component": "CheckBox", "label": "Subscribe", "value": {"path": "/subscribed"}},
    {"id": "s", "component": "Slider", "label": "Volume", "min": 0, "max": 10, "value": {"path": "/volume"}},
    {"id": "b", "component": "Button", "child": "bl", "variant": "primary",
     "action": {"event": {"name": "save", "context": {"name": {"path": "/name"}}}}},
    {"id": "bl", "component": "Text", "text": "Save"},
], data={"name": "", "subscribed": False, "volume": 2})


def decode(path):
    """(stream info, RGB frames) of a video file."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        info = {"codec": v.codec_context.name, "width": v.width, "height": v.height, "frames": v.frames,
                "fps": float(v.average_rate)}
        return info, [f.to_ndarray(format="rgb24") for f in c.decode(v)]


def png(path):
    return np.asarray(Image.open(path).convert("RGB"))
