"""The embedded demo gateway: emulated gateways and upstream providers on 127.0.0.1."""
