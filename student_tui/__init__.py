"""The student's terminal app."""
