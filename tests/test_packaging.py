"""A student's computer installs the student app alone: the wheel built for it holds the
protocol, the client library and the app, and never a server module, a pack or a key."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from room_server.student_dist import build_student_wheel


def test_the_student_wheel_holds_no_server_part_no_pack_and_no_key(tmp_path):
    wheel = build_student_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"room_protocol", "room_client", "student_tui"}, tops
    assert not [n for n in names if n.endswith(".toml") or "/packs/" in n], "a pack in the student wheel"
    assert "student_tui/student.tcss" in names and "student_tui/locale/kk.po" in names
    for name in names:
        if name.endswith(".py"):
            text = zipfile.ZipFile(wheel).read(name).decode("utf-8")
            assert "import room_server" not in text and "from room_server" not in text, name
            assert "from content" not in text and "import content" not in text, name
    metadata = next(n for n in names if n.endswith("METADATA"))
    requires = [line for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist:")]
    assert not [r for r in requires if any(x in r for x in ("aiosqlite", "fpdf", "openpyxl", "lxml"))], requires


def test_the_student_wheel_installs_and_starts_without_the_server(tmp_path):
    """Installed on its own (its dependencies from this environment's site-packages, without
    the editable Synaq and without the repository on the path), the app's modules import and
    its command answers --help; the server's modules are nowhere to be found."""
    import sysconfig
    wheel = build_student_wheel(tmp_path / "dist")
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--target",
                    str(target), str(wheel)], check=True)
    site = sysconfig.get_paths()["purelib"]
    probe = (f"import sys; sys.path[:0] = [{str(target)!r}, {site!r}]; import importlib.util;"
             "import student_tui.app as a, room_client, room_protocol; print(a.__file__);"
             "print(importlib.util.find_spec('room_server') is None, importlib.util.find_spec('content') is None);"
             "sys.argv = ['student-tui', '--help']; a.main()")
    # -I: no user site, no current folder; -S: no .pth files, so no editable install of Synaq.
    out = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    lines = out.stdout.splitlines()
    assert lines and lines[0].startswith(str(target)), (out.stdout, out.stderr)
    assert lines[1] == "True True", lines[1]
    assert "--server" in out.stdout
