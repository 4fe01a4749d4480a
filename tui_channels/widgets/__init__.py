"""Textual widgets, one widget family per module."""
