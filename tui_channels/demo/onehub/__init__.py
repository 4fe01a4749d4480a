"""Emulated One Hub and Done Hub servers (see `server.py`)."""
