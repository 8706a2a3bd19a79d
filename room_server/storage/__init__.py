"""The room's storage: one SQLite file, and every SQL statement Synaq runs on it.

`db` holds the connection and its transactions; each other module owns one group of tables
(`attempts`, `answers`, `attendance`, `incidents`, `meta`, `roster`, `questionnaire`) and the
one writer of the `audit` log; `readonly` reads the whole room at one moment for paperwork.
"""

from .answers import AnswerRecord, AnswerWriter, pack_value, unpack_value
from .db import Database, Statement, now_ms
from .schema import DB_NAME

__all__ = ["AnswerRecord", "AnswerWriter", "Database", "DB_NAME", "Statement", "now_ms", "pack_value", "unpack_value"]
