"""A2UI v0.9 data layer (no Qt): messages in, validated surface state out, actions back.

    processor = MessageProcessor()
    processor.apply(load_messages("ui.jsonl"))          # atomic; raises Rejected
    surface = processor.surfaces["main"]
    text = resolve_text(surface, surface.root["text"])
"""
from neuralos.a2ui.actions import build_action, data_model_metadata
from neuralos.a2ui.checks import failed_checks
from neuralos.a2ui.dynamic import binding_path, resolve, resolve_text
from neuralos.a2ui.functions import FUNCTIONS, OpenUrlRequest
from neuralos.a2ui.io import load_messages, parse_messages
from neuralos.a2ui.processor import Change, MessageProcessor, Rejected
from neuralos.a2ui.surface import Surface
from neuralos.a2ui.validate import Issue

__all__ = [
    "MessageProcessor", "Rejected", "Change", "Issue", "Surface", "load_messages", "parse_messages",
    "resolve", "resolve_text", "binding_path", "failed_checks", "build_action", "data_model_metadata",
    "FUNCTIONS", "OpenUrlRequest",
]
