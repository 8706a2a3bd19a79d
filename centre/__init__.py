"""The analysis centre: verified USB bundles in, one national dataset, item analysis and
feedback for every school, teacher and parent out (docs/dataset.md).

Never imported by the room side (room_server, room_client and the apps), and never imports
Textual: both rules are import-linter contracts in pyproject.toml.
"""
