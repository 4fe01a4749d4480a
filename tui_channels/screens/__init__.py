"""Screens: the main channel screen and the modal screens it opens."""
