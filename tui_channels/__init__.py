"""tui-channels: administer the channels of New API / One API and Octopus gateways from the keyboard."""

__version__ = "0.1.0"
