#!/bin/sh
# Synaq student app: install from this kit, with no internet (Linux x86_64, Python 3.11-3.13).
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET="${SYNAQ_HOME:-$HOME/.local/share/synaq-student}"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else "Python 3.11, 3.12 or 3.13 is needed")'
"$PYTHON" -m venv "$TARGET"
"$TARGET/bin/python" -m pip install --no-index --find-links "$HERE/wheels/linux" synaq-student
echo "Installed. Start the app with: $HERE/start-synaq.sh"
