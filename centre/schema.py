"""Every table of the dataset, with its explicit Arrow schema (docs/dataset.md says what each
column means; a test checks that every column here is documented there).

Each table lives in its own folder, Hive-partitioned: `students/year=2027/grade=9/
region=KZ-ALM/part-....parquet`. The partition columns are not stored inside the files (the
folder names carry them); every engine adds them back when it reads with Hive partitioning.
Codes with leading zeros (ИКТ, IIN, the school's id) are strings, always.
"""

from __future__ import annotations

import pyarrow as pa

PARTITIONS = ("year", "grade", "region")
PARTITION_TYPES = {"year": pa.int32(), "grade": pa.int32(), "region": pa.string()}

UTC_MS = pa.timestamp("ms", tz="UTC")

_STUDENT_KEY = [
    pa.field("sitting_id", pa.string(), nullable=False),  # room id + "/" + sitting: one sitting of one room
    pa.field("ikt", pa.string(), nullable=False),
    pa.field("school_id", pa.string(), nullable=False),
]

STUDENTS = pa.schema(_STUDENT_KEY + [
    pa.field("school", pa.string()),
    pa.field("class", pa.string()),
    pa.field("language", pa.string()),
    pa.field("variant", pa.string()),
    pa.field("seat", pa.int16()),
    pa.field("attendance", pa.string()),
    pa.field("state", pa.string()),
    pa.field("finish_reason", pa.string()),
    pa.field("sat", pa.bool_()),
    pa.field("annulled", pa.bool_()),
    pa.field("started_at", UTC_MS),
    pa.field("finished_at", UTC_MS),
    pa.field("answered", pa.int16()),
    pa.field("items", pa.int16()),
    pa.field("total_score", pa.int16()),
    pa.field("max_total", pa.int16()),
    pa.field("percent", pa.float32()),
    pa.field("late_refused", pa.int16()),
    pa.field("bundle_id", pa.string()),
])

SUBJECT_SCORES = pa.schema(_STUDENT_KEY + [
    pa.field("class", pa.string()),
    pa.field("language", pa.string()),
    pa.field("variant", pa.string()),
    pa.field("subject", pa.string(), nullable=False),
    pa.field("score", pa.int16()),
    pa.field("max_score", pa.int16()),
    pa.field("percent", pa.float32()),
    pa.field("level", pa.int8()),
    pa.field("annulled", pa.bool_()),
])

RESPONSES = pa.schema(_STUDENT_KEY + [
    pa.field("language", pa.string()),
    pa.field("variant", pa.string()),
    pa.field("subject", pa.string()),
    pa.field("item", pa.string(), nullable=False),
    pa.field("position", pa.int16()),
    pa.field("answered", pa.bool_()),
    pa.field("value", pa.string()),
    pa.field("choice", pa.string()),
    pa.field("score", pa.int16()),
    pa.field("max_score", pa.int16()),
    pa.field("correct", pa.bool_()),
    pa.field("made_s", pa.int32()),
    pa.field("received_at", UTC_MS),
    pa.field("late", pa.bool_()),
])

ITEMS = pa.schema([
    pa.field("language", pa.string(), nullable=False),
    pa.field("variant", pa.string(), nullable=False),
    pa.field("item", pa.string(), nullable=False),
    pa.field("pack_id", pa.string()),
    pa.field("subject", pa.string()),
    pa.field("subject_title", pa.string()),
    pa.field("position", pa.int16()),
    pa.field("kind", pa.string()),
    pa.field("key", pa.string()),
    pa.field("max_score", pa.int16()),
    pa.field("options", pa.int8()),
    pa.field("topic", pa.string()),
    pa.field("text", pa.string()),
])

QUESTIONNAIRE = pa.schema([  # one row per answered question of a response; the student by ИКТ only
    pa.field("sitting_id", pa.string(), nullable=False),
    pa.field("school_id", pa.string(), nullable=False),
    pa.field("ikt", pa.string()),  # from inside the sealed response; null for a teacher's or principal's
    pa.field("audience", pa.string()),
    pa.field("questionnaire_id", pa.string()),
    pa.field("version", pa.int16()),
    pa.field("question", pa.string(), nullable=False),
    pa.field("value", pa.string()),  # the answer as JSON: 2, [0, 3] or "text"
    pa.field("option", pa.int16()),  # a choice question's option index
    pa.field("options", pa.list_(pa.int16())),  # a multi question's option indexes
    pa.field("text", pa.string()),  # a text question's answer
])

INCIDENTS = pa.schema([
    pa.field("sitting_id", pa.string(), nullable=False),
    pa.field("school_id", pa.string(), nullable=False),
    pa.field("incident", pa.int32()),
    pa.field("kind", pa.string()),
    pa.field("at_local", pa.string()),
    pa.field("ikt", pa.string()),
    pa.field("decision", pa.string()),
    pa.field("act_file", pa.string()),
])

BUNDLES = pa.schema([
    pa.field("bundle_id", pa.string(), nullable=False),
    pa.field("bundle_name", pa.string()),
    pa.field("sitting_id", pa.string(), nullable=False),
    pa.field("room_id", pa.string()),
    pa.field("school_id", pa.string()),
    pa.field("school", pa.string()),
    pa.field("school_bin", pa.string()),
    pa.field("region_from", pa.string()),
    pa.field("room", pa.string()),
    pa.field("sitting", pa.string()),
    pa.field("sitting_state", pa.string()),
    pa.field("snapshot_at", UTC_MS),
    pa.field("room_key", pa.string()),
    pa.field("sealed_to", pa.string()),
    pa.field("students", pa.int32()),
    pa.field("responses", pa.int32()),
    pa.field("questionnaires", pa.int32()),
    pa.field("questionnaires_set_aside", pa.int32()),
    pa.field("source", pa.string()),
    pa.field("ingested_at", UTC_MS),
    pa.field("ingested_by", pa.string()),
])

IDENTITIES = pa.schema(_STUDENT_KEY + [
    pa.field("iin", pa.string()),
    pa.field("surname", pa.string()),
    pa.field("name", pa.string()),
    pa.field("patronymic", pa.string()),
    pa.field("class", pa.string()),
    pa.field("login", pa.string()),
])

# table -> (schema, partition columns). Items are per test form, so they have no region.
TABLES: dict[str, tuple[pa.Schema, tuple[str, ...]]] = {
    "students": (STUDENTS, PARTITIONS),
    "subject_scores": (SUBJECT_SCORES, PARTITIONS),
    "responses": (RESPONSES, PARTITIONS),
    "items": (ITEMS, ("year", "grade")),
    "questionnaire": (QUESTIONNAIRE, PARTITIONS),
    "incidents": (INCIDENTS, PARTITIONS),
    "bundles": (BUNDLES, PARTITIONS),
    "identities": (IDENTITIES, PARTITIONS),
}

# Tables the analysis reads; `identities` is opened only to address the letters.
ANALYSIS_TABLES = tuple(t for t in TABLES if t != "identities")


def full_schema(table: str) -> pa.Schema:
    """The table as an engine sees it: the stored columns and the partition columns."""
    schema, parts = TABLES[table]
    for name in parts:
        schema = schema.append(pa.field(name, PARTITION_TYPES[name], nullable=False))
    return schema
