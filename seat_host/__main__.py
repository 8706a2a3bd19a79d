"""`python -m seat_host seat` (one seat, settings on stdin) or `python -m seat_host forkserver`."""

from __future__ import annotations

import os
import sys

# Read by Textual when it is imported: every seat draws in true colour for xterm.js.
os.environ.setdefault("TEXTUAL_COLOR_SYSTEM", "truecolor")
os.environ.setdefault("TEXTUAL_FPS", "60")


def main(argv: list[str]) -> int:
    if argv[:1] == ["forkserver"]:
        from .forkserver import serve
        return serve()
    if argv[:1] == ["seat"]:
        from .seat import preload, run_from_stdin
        preload()
        return run_from_stdin()
    print("usage: python -m seat_host seat|forkserver", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
