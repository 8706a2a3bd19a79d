"""docs/dataset.md documents every column of every table the centre writes."""

from __future__ import annotations

import re
from pathlib import Path

from centre.schema import TABLES

DOC = Path(__file__).resolve().parent.parent / "docs" / "dataset.md"


def test_every_column_is_documented():
    text = DOC.read_text("utf-8")
    for table, (schema, parts) in TABLES.items():
        section = re.search(rf"^### {table}\b(.*?)(?=^### |^## |\Z)", text, re.S | re.M)
        assert section, f"docs/dataset.md has no section '### {table}'"
        for column in schema.names:
            assert f"`{column}`" in section.group(1), f"{table}.{column} is not documented"
    for part in ("year", "grade", "region"):
        assert f"`{part}`" in text
