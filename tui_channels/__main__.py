"""`python -m tui_channels` runs the same entry point as the `tui-channels` script."""

from .cli import main

raise SystemExit(main())
