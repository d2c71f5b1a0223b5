"""Where shipped files live: the repository's `assets/` and `models/`, or a frozen bundle's copy."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def _root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller one-folder bundles unpack here
    return Path(bundle) if bundle else Path(__file__).resolve().parent.parent


ROOT = _root()
ASSETS = ROOT / "assets"
# NEURALOS_SHIPPED_MODELS replaces the shipped plugin folder (the test suite points it at an empty one).
SHIPPED_MODELS = Path(os.environ.get("NEURALOS_SHIPPED_MODELS") or ROOT / "models")
FONTS = ASSETS / "fonts"
A2UI_SPEC = Path(__file__).resolve().parent / "a2ui" / "spec"
BASIC_CATALOG_ID = "https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json"
