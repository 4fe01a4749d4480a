"""The emulated Octopus server, legacy and current generations (`server.py`)."""
