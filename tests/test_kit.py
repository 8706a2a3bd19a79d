"""The offline kit: built from the package registry (as it is made ahead of the test day), then
the Linux part installed into a fresh venv with no index reachable, and the app started. Built
again from a folder of wheels with no index reachable; refused in words with neither. Of
install.bat only its Python check can run here."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
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
    env.update({"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_CACHE_DIR": "1", "PIP_CONFIG_FILE": os.devnull,
                **extra})
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
    assert not [n for n in inside if n.endswith((".toml", ".key", ".pem"))]  # no pack, no key file
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


def sums_hold(kit: Path) -> bool:
    listed = dict(reversed(line.split("  ", 1)) for line in (kit / "SHA256SUMS").read_text().splitlines())
    files = {p.relative_to(kit).as_posix() for p in kit.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    return set(listed) == files and all(hashlib.sha256((kit / n).read_bytes()).hexdigest() == d for n, d in listed.items())


def test_a_kit_builds_from_a_wheel_folder_with_no_index_reachable(kit, tmp_path):
    # A school's folder of wheels: the third-party wheels a kit made from the registry holds.
    folder = tmp_path / "school-wheels"
    folder.mkdir()
    third_party = sorted(w.name for w in (kit / "wheels" / "linux").glob("*.whl") if not w.name.startswith("synaq_student-"))
    for name in third_party:
        shutil.copy(kit / "wheels" / "linux" / name, folder)
    out = tmp_path / "kit"
    done = room_server("kit", "--to", str(out), "--wheels", str(folder), "--target", "linux", "--python", HERE_PYTHON,
                       env=offline_env())
    assert done.returncode == 0, done.stderr
    assert "Kit written to" in done.stdout
    built = sorted(p.name for p in (out / "wheels" / "linux").glob("*.whl"))
    assert [name for name in built if not name.startswith("synaq_student-")] == third_party
    assert len([name for name in built if name.startswith("synaq_student-")]) == 1
    assert sums_hold(out)


def test_with_no_registry_reachable_and_no_wheel_folder_the_kit_says_so_and_leaves_nothing(tmp_path):
    out = tmp_path / "kit"
    done = room_server("kit", "--to", str(out), "--target", "linux", "--python", HERE_PYTHON, env=offline_env())
    assert done.returncode == 1
    assert "no package registry can be reached from this computer, and no wheel folder was given" in done.stderr
    assert "--wheels" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def bat_check() -> str:
    """The Python check install.bat runs with each candidate Python (`-c "%CHECK%"`)."""
    text = (ROOT / "room_server" / "kit_files" / "install.bat").read_text(encoding="utf-8")
    return re.search(r'^set "CHECK=(.*)"$', text, re.M).group(1)


@pytest.mark.parametrize("version, bits, accepted", [
    ((3, 10, 11), 8, False), ((3, 11, 0), 8, True), ((3, 12, 4), 8, True), ((3, 13, 1), 8, True),
    ((3, 14, 0), 8, False), ((3, 12, 4), 4, False)])
def test_install_bat_takes_only_a_64_bit_python_3_11_to_3_13(version, bits, accepted):
    # Run here with the version and pointer size a Windows Python would have (nothing else of
    # the .bat can run here: cmd.exe is checked on a Windows 10 computer).
    pretend = (f"import struct, sys; sys.version_info = {version!r}; struct.calcsize = lambda f, s=struct.calcsize: "
               f"{bits} if f == 'P' else s(f); exec({bat_check()!r})")
    done = subprocess.run([sys.executable, "-c", pretend], capture_output=True, text=True, timeout=60)
    assert (done.returncode == 0) == accepted, done.stderr


def test_install_bat_says_in_three_languages_when_the_python_is_wrong(kit):
    raw = (kit / "install.bat").read_bytes()
    assert raw.startswith(b"@echo off\r\n") and b"\n" not in raw.replace(b"\r\n", b"")  # no BOM; CRLF lines
    text = raw.decode("utf-8")
    assert "chcp 65001" in text.split(":wrong_python")[0]  # UTF-8 before any message
    message = text.split(":wrong_python")[1].split(":failed")[0]
    assert "Python 3.11, 3.12 немесе 3.13 жоқ" in message  # kk
    assert "нет 64-битного Python 3.11, 3.12 или 3.13" in message  # ru
    assert "no 64-bit Python 3.11, 3.12 or 3.13" in message  # en
    assert 'for %%V in (3.13 3.12 3.11) do' in text and 'py -%%V -c "%CHECK%"' in text
    assert not re.search(r"^\s*py -3 ", text, re.M)  # never simply the newest Python
