"""`python -m neuralos ...` is the `neuralos` command (and `accelerate launch -m neuralos train ...`)."""
import sys

from neuralos.cli import main

sys.exit(main())
