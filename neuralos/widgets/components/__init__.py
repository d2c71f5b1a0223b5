"""The 18 basic-catalog components as Qt widgets, one module per family.

Every component is a `Component` (a QWidget) that knows its A2UI component, its scene key and its data
scope. `refresh()` re-reads dynamic values from the data model without rebuilding (two-way binding the
other way); user edits write back through `Component.write_value` (the bound data path, else local UI
state). `scene_info()` reports what the widget painted, for the scene: text runs (from the same layout
that painted them), parts, states.

All text is painted through `neuralos.widgets.text.TextBox`; media is never fetched (placeholders).

    base           Component, failed-check messages, shared helpers
    context        BuildContext: one surface's shared state; builds components through the registry
    registry       component type -> widget class
    display        Text, Icon (svg: an Icon's SVG path)
    media          Image, Video, AudioPlayer placeholders
    layout         Row, Column, List, Card, Divider
    tabs           Tabs
    modal          Modal and its overlay
    buttons        Button; the window and modal chrome buttons
    labeled        the label + control + message frame of the inputs
    inputs         TextField, DateTimeInput
    choices        CheckBox, ChoicePicker
    slider         Slider
    painted_items  hover, press and click of painted items (tab headers, picker options)
"""
from __future__ import annotations

from neuralos.widgets.components.base import Component, ComponentHost
from neuralos.widgets.components.buttons import ChromeButton
from neuralos.widgets.components.context import BuildContext
from neuralos.widgets.components.layout import scrollbar_parts
from neuralos.widgets.components.modal import ModalComp, ModalOverlay
from neuralos.widgets.components.registry import COMPONENTS

__all__ = ["COMPONENTS", "BuildContext", "ChromeButton", "Component", "ComponentHost", "ModalComp", "ModalOverlay",
           "scrollbar_parts"]
