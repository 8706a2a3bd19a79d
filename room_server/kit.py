"""`room-server kit --to DIR`: the offline kit that installs the native student app.

For school computers without internet, built ahead where a package registry is reachable (or
from a folder of wheels given with `--wheels`). The kit holds:

    wheels/windows/   synaq-student and every dependency for win_amd64, CPython 3.11-3.13
    wheels/linux/     the same for Linux x86_64
    install.bat, start-synaq.bat     Windows: a venv from the kit with no index; the start
                                     shortcut opens the app full screen in Windows Terminal
    install.sh, start-synaq.sh       Linux
    README.txt        in Kazakh, Russian and English
    SHA256SUMS        every other file's SHA-256

It never holds the server, a pack or an answer key: only the student distribution
(`student_dist.py`: room_protocol, room_client, student_tui) and third-party wheels, and the
file list is checked before the kit is reported done.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from .student_dist import NAME, DistError, build_student_wheel

# (folder, pip --platform tags, python versions)
TARGETS = {
    "windows": (["win_amd64"], ["3.11", "3.12", "3.13"]),
    "linux": (["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "linux_x86_64"],
              ["3.11", "3.12", "3.13"]),
}
SCRIPTS = ("install.bat", "start-synaq.bat", "install.sh", "start-synaq.sh", "README.txt")
FORBIDDEN = ("room_server", "content", "proctor_tui", "room_tools", "seat_host", "packs", "synaq-0", "synaq-1")


class KitError(Exception):
    """The kit cannot be made; the message says why and what to do."""


def build_kit(out: Path, *, wheels: Path | None = None, targets: list[str] | None = None,
              pythons: list[str] | None = None) -> list[Path]:
    """Writes the kit into `out` (new or empty) and returns its files."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise KitError(f"{out} is not empty: give a new or empty folder")
    if wheels is not None and not Path(wheels).is_dir():
        raise KitError(f"the wheel folder {wheels} does not exist")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="synaq-kit-") as tmp:
        try:
            student = build_student_wheel(Path(tmp))
        except DistError as exc:
            raise KitError(str(exc)) from None
        for target in targets or list(TARGETS):
            if target not in TARGETS:
                raise KitError(f"unknown target {target!r}: choose from {', '.join(TARGETS)}")
            platforms, versions = TARGETS[target]
            folder = out / "wheels" / target
            folder.mkdir(parents=True, exist_ok=True)
            for version in pythons or versions:
                download(student, folder, platforms, version, wheels)
    for name in SCRIPTS:
        text = resources.files("room_server.kit_files").joinpath(name).read_text(encoding="utf-8")
        newline = "\r\n" if name.endswith((".bat", ".txt")) else "\n"
        path = out / name
        path.write_bytes(text.replace("\n", newline).encode("utf-8"))
        if name.endswith(".sh"):
            path.chmod(0o755)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    check_contents(out, files)
    write_sums(out, files)
    return files + [out / "SHA256SUMS"]


def download(student: Path, folder: Path, platforms: list[str], version: str, wheels: Path | None) -> None:
    abi = "cp" + version.replace(".", "")
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(folder),
               "--python-version", version, "--implementation", "cp", "--abi", abi, "--abi", "abi3", "--abi", "none"]
    for platform in platforms:
        command += ["--platform", platform]
    if wheels is not None:
        command += ["--no-index", "--find-links", str(wheels)]
    done = subprocess.run(command + [str(student)], capture_output=True, text=True)
    if done.returncode != 0:
        raise KitError(why_not(done.stderr, f"{folder.name}, Python {version}", wheels))


# What pip says when it cannot reach an index at all (not: the index lacks a wheel).
UNREACHABLE = ("Failed to establish a new connection", "NewConnectionError", "ConnectTimeoutError",
               "Temporary failure in name resolution", "Name or service not known", "Network is unreachable",
               "No route to host", "getaddrinfo failed")


def why_not(pip_said: str, wanted: str, wheels: Path | None) -> str:
    """The kit's refusal in words: where the wheels were looked for, and what to do."""
    todo = "Build the kit where a package registry is reachable, or give a folder of wheels with --wheels."
    if wheels is not None:
        head = f"the wheels for {wanted} could not be had from the wheel folder {wheels}. {todo}"
    elif any(sign in pip_said for sign in UNREACHABLE):
        head = (f"no package registry can be reached from this computer, and no wheel folder was given, so the "
                f"wheels for {wanted} cannot be had. {todo}")
    else:
        head = f"the wheels for {wanted} could not be had from the package registry. {todo}"
    lines = [line for line in pip_said.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")] or lines
    return head + "\npip said:\n  " + "\n  ".join(line[:300] for line in errors[-5:])


def check_contents(out: Path, files: list[Path]) -> None:
    """No server module, pack or answer key: only the student's wheel and third-party ones."""
    bad = [p for p in files if any(part.startswith(FORBIDDEN) for part in p.relative_to(out).parts)]
    students = [p for p in files if p.name.startswith(NAME.replace("-", "_") + "-")]
    if bad or not students:
        raise KitError("the kit would hold " + (", ".join(str(p.relative_to(out)) for p in bad) or
                                               "no student wheel") + "; nothing was written for the schools")


def write_sums(out: Path, files: list[Path]) -> None:
    lines = []
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(out).as_posix()}")
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def cli_kit(to: Path, wheels: Path | None, targets: list[str] | None, pythons: list[str] | None) -> int:
    fresh = not Path(to).exists() or not any(Path(to).iterdir())  # only a folder we filled is removed
    try:
        files = build_kit(to, wheels=wheels, targets=targets, pythons=pythons)
    except KitError as exc:
        print(f"room-server: no kit: {exc}", file=sys.stderr)
        if fresh and Path(to).is_dir():
            shutil.rmtree(to, ignore_errors=True)
        return 1
    wheels_count = sum(1 for f in files if f.suffix == ".whl")
    print(f"Kit written to {to}: {wheels_count} wheels, install.bat / install.sh, README.txt, SHA256SUMS.")
    return 0
