"""Test content: packs, the questionnaire and the reference tables, shipped as TOML files.

Never imports Textual; the server and both apps read content through this package.
"""

from importlib.resources import files
from pathlib import Path


def content_root() -> Path:
    """The folder the installed package keeps its data files in."""
    return Path(str(files("content")))
