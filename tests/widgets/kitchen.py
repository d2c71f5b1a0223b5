"""A surface using every basic-catalog component (the official examples skip several)."""

DATA = {
    "name": "Ada", "agree": True, "volume": 30, "when": "2025-03-14T15:09:00",
    "colors": ["green"], "tags": ["a", "c"], "notes": "line one\nline two",
    "items": [{"title": "First"}, {"title": "Second"}, {"title": "Third"}],
}

COMPONENTS = [
    {"id": "root", "component": "Column", "children": ["title", "tabs", "modal", "media-row", "list", "pick-row"]},
    {"id": "title", "component": "Text", "text": "Kitchen sink", "variant": "h2"},
    {"id": "tabs", "component": "Tabs", "tabs": [
        {"title": "Form", "child": "form"}, {"title": "About", "child": "about"}]},
    {"id": "form", "component": "Column", "children": ["name", "notes", "agree", "volume", "when", "save-row"]},
    {"id": "name", "component": "TextField", "label": "Name", "value": {"path": "/name"},
     "checks": [{"condition": {"call": "required", "args": {"value": {"path": "/name"}}},
                 "message": "Name is required"}]},
    {"id": "notes", "component": "TextField", "label": "Notes", "value": {"path": "/notes"}, "variant": "longText"},
    {"id": "agree", "component": "CheckBox", "label": "I agree", "value": {"path": "/agree"}},
    {"id": "volume", "component": "Slider", "label": "Volume", "min": 0, "max": 100, "value": {"path": "/volume"}},
    {"id": "when", "component": "DateTimeInput", "label": "When", "value": {"path": "/when"},
     "enableDate": True, "enableTime": True},
    {"id": "save-row", "component": "Row", "children": ["save", "cancel", "help"], "justify": "end", "align": "center"},
    {"id": "save-label", "component": "Text", "text": "Save"},
    {"id": "save", "component": "Button", "child": "save-label", "variant": "primary",
     "action": {"event": {"name": "save", "context": {"who": {"path": "/name"}}}}},
    {"id": "cancel-label", "component": "Text", "text": "Cancel"},
    {"id": "cancel", "component": "Button", "child": "cancel-label", "variant": "borderless",
     "action": {"functionCall": {"call": "openUrl", "args": {"url": "https://example.com/help"}}}},
    {"id": "help-icon", "component": "Icon", "name": "help"},
    {"id": "help", "component": "Button", "child": "help-icon", "action": {"event": {"name": "help"}}},
    {"id": "about", "component": "Text", "text": "About this app"},
    {"id": "modal", "component": "Modal", "trigger": "open-btn", "content": "modal-body"},
    {"id": "open-label", "component": "Text", "text": "Details"},
    {"id": "open-btn", "component": "Button", "child": "open-label", "action": {"event": {"name": "noop"}}},
    {"id": "modal-body", "component": "Card", "child": "modal-text"},
    {"id": "modal-text", "component": "Text", "text": "Inside the modal"},
    {"id": "media-row", "component": "Row", "children": ["img", "divider-v", "video"]},
    {"id": "img", "component": "Image", "url": "https://example.com/cat.png", "variant": "smallFeature",
     "description": "A cat"},
    {"id": "divider-v", "component": "Divider", "axis": "vertical"},
    {"id": "video", "component": "Video", "url": "https://example.com/movie.mp4", "weight": 1},
    {"id": "list", "component": "List", "children": {"path": "/items", "componentId": "item"}},
    {"id": "item", "component": "Row", "children": ["item-icon", "item-title"], "align": "center"},
    {"id": "item-icon", "component": "Icon", "name": "star"},
    {"id": "item-title", "component": "Text", "text": {"path": "title"}},
    {"id": "pick-row", "component": "Row", "children": ["colors", "tags", "audio-col"]},
    {"id": "colors", "component": "ChoicePicker", "label": "Colour", "value": {"path": "/colors"},
     "options": [{"label": "Red", "value": "red"}, {"label": "Green", "value": "green"},
                 {"label": "Blue", "value": "blue"}]},
    {"id": "tags", "component": "ChoicePicker", "label": "Tags", "variant": "multipleSelection",
     "displayStyle": "chips", "filterable": True, "value": {"path": "/tags"},
     "options": [{"label": "Alpha", "value": "a"}, {"label": "Beta", "value": "b"},
                 {"label": "Gamma", "value": "c"}]},
    {"id": "audio-col", "component": "Column", "children": ["audio", "hr"], "weight": 1},
    {"id": "audio", "component": "AudioPlayer", "url": "https://example.com/song.mp3", "description": "A song"},
    {"id": "hr", "component": "Divider"},
]


def messages(sid="kitchen", theme=None):
    from tests.widgets.conftest import surface
    return surface(sid, COMPONENTS, DATA, theme)
