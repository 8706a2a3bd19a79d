"""The offline kit: built from the package registry (as it is made ahead of the test day), then
the Linux part installed into a fresh venv with no index reachable, and the app started."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HERE_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def room_server(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "room-server"), *args], capture_output=True, text=True,
                          timeout=600, env=env)


def offline_env(**extra: str) -> dict:
    """pip with no index it could reach: any download attempt fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update({"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_CACHE_DIR": "1", **extra})
    return env


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("usb") / "synaq-kit"
    done = room_server("kit", "--to", str(out), "--target", "linux", "--python", HERE_PYTHON)
    assert done.returncode == 0, done.stderr
    return out


def test_the_kit_holds_the_student_app_and_its_wheels_and_nothing_of_the_server(kit):
    files = sorted(p.relative_to(kit).as_posix() for p in kit.rglob("*") if p.is_file())
    assert {"install.bat", "install.sh", "start-synaq.bat", "start-synaq.sh", "README.txt", "SHA256SUMS"} <= set(files)
    wheels = [f for f in files if f.endswith(".whl")]
    assert any(w.startswith("wheels/linux/synaq_student-") for w in wheels)
    assert any("/textual-" in w for w in wheels) and any("/aiohttp-" in w for w in wheels)
    assert not [f for f in files if f.startswith("wheels/linux/synaq-") or "room_server" in f or "/packs/" in f]
    student = next(kit.glob("wheels/linux/synaq_student-*.whl"))
    inside = zipfile.ZipFile(student).namelist()
    assert {name.split("/")[0] for name in inside if not name.startswith("synaq_student-")} == \
        {"room_protocol", "room_client", "student_tui"}
    assert not [n for n in inside if n.endswith(".toml") or "key" in n.rsplit("/", 1)[-1]]
    readme = (kit / "README.txt").read_text(encoding="utf-8")
    assert "ҚАЗАҚША" in readme and "РУССКИЙ" in readme and "ENGLISH" in readme
    assert "wt -F" in (kit / "start-synaq.bat").read_text()


def test_every_file_matches_its_sum(kit):
    lines = (kit / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    files = {p.relative_to(kit).as_posix() for p in kit.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((kit / name).read_bytes()).hexdigest() == digest, name


def test_install_sh_makes_a_working_app_with_no_index_reachable(kit, tmp_path):
    home = tmp_path / "synaq-student"
    done = subprocess.run(["sh", str(kit / "install.sh")], capture_output=True, text=True, timeout=600,
                          env=offline_env(SYNAQ_HOME=str(home), PYTHON=sys.executable))
    assert done.returncode == 0, done.stdout + done.stderr
    version = subprocess.run([str(home / "bin" / "student-tui"), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("student-tui "), version.stderr
    server_part = subprocess.run([str(home / "bin" / "python"), "-c", "import room_server; print(room_server.__file__)"],
                                 capture_output=True, text=True, cwd=tmp_path)  # not beside the sources
    assert server_part.returncode != 0, server_part.stdout  # the server was never installed


def test_with_no_wheels_to_be_had_the_kit_says_so_and_leaves_nothing(tmp_path):
    empty = tmp_path / "wheels"
    empty.mkdir()
    out = tmp_path / "kit"
    done = room_server("kit", "--to", str(out), "--wheels", str(empty), "--target", "linux", "--python", HERE_PYTHON)
    assert done.returncode == 1
    assert "could not be had from the wheel folder" in done.stderr and "--wheels" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
