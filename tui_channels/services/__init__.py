"""Batch operations and view logic written once for any backend; nothing here imports Textual."""
