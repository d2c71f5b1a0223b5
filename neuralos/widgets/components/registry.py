"""The basic catalog's component types and the widget class that renders each."""
from __future__ import annotations

from neuralos.widgets.components.base import Component
from neuralos.widgets.components.buttons import ButtonComp
from neuralos.widgets.components.choices import CheckBoxComp, ChoicePickerComp
from neuralos.widgets.components.display import IconComp, TextComp
from neuralos.widgets.components.inputs import DateTimeComp, TextFieldComp
from neuralos.widgets.components.layout import CardComp, ColumnComp, DividerComp, ListComp, RowComp
from neuralos.widgets.components.media import AudioComp, ImageComp, VideoComp
from neuralos.widgets.components.modal import ModalComp
from neuralos.widgets.components.slider import SliderComp
from neuralos.widgets.components.tabs import TabsComp

COMPONENTS: dict[str, type[Component]] = {
    "Text": TextComp, "Image": ImageComp, "Icon": IconComp, "Video": VideoComp, "AudioPlayer": AudioComp,
    "Row": RowComp, "Column": ColumnComp, "List": ListComp, "Card": CardComp, "Tabs": TabsComp,
    "Modal": ModalComp, "Divider": DividerComp, "Button": ButtonComp, "TextField": TextFieldComp,
    "CheckBox": CheckBoxComp, "ChoicePicker": ChoicePickerComp, "Slider": SliderComp,
    "DateTimeInput": DateTimeComp,
}
