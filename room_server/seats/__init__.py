"""Browser seats: the student app for any browser on the room's network (see web.py)."""
