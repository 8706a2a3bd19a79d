#!/bin/sh
# Synaq student app, full screen where the terminal allows it.
TARGET="${SYNAQ_HOME:-$HOME/.local/share/synaq-student}"
exec "$TARGET/bin/student-tui" "$@"
