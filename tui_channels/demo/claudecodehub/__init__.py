"""The emulated Claude Code Hub server: the REST management API and a pre-v0.8.1 server (`server.py`),
and its request validation (`schema.py`)."""
