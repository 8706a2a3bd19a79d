"""The room server: one room's sitting, its clock and every answer, kept in one SQLite file."""
