"""The student's own distribution, `synaq-student`: the protocol, the client library and the
student app — nothing of the server, no pack, no answer key.

Synaq is one repository with two distributions. The full one (`synaq`, pyproject.toml) runs
the room; this one is what a school computer installs (pip, or the offline kit). It is built
from the same sources: the three packages are copied into a build folder beside a generated
pyproject.toml, and setuptools makes the wheel with no index and no download.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NAME = "synaq-student"
PACKAGES = ("room_protocol", "room_client", "student_tui")
DEPENDENCIES = ("textual>=8.0", "aiohttp>=3.10", "msgpack>=1.2.1", "zeroconf>=0.140", "cryptography>=47")
DATA = ("*.tcss", "locale/*.po")


class DistError(Exception):
    """The student wheel cannot be built; the message says why."""


def source_folder(package: str) -> Path:
    spec = importlib.util.find_spec(package)  # finds the folder without running the package
    if spec is None or not spec.submodule_search_locations:
        raise DistError(f"the package {package} is not installed here")
    return Path(next(iter(spec.submodule_search_locations)))


def version() -> str:
    try:
        return importlib.metadata.version("synaq")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def pyproject() -> str:
    packages = []
    for package in PACKAGES:
        root = source_folder(package)
        packages += [".".join((package, *p.relative_to(root).parts)) for p in sorted(root.rglob("__init__.py"))
                     for p in [p.parent]]
    deps = ",\n    ".join(f'"{d}"' for d in DEPENDENCIES)
    names = ", ".join(f'"{p}"' for p in packages)
    return f'''[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{NAME}"
version = "{version()}"
description = "Synaq: the student's app for the school monitoring test (ББЖМ / МОДО)"
requires-python = ">=3.11"
dependencies = [
    {deps},
]

[project.scripts]
student-tui = "student_tui.app:main"

[tool.setuptools]
packages = [{names}]

[tool.setuptools.package-data]
student_tui = {list(DATA)!r}
'''


def build_student_wheel(out_dir: Path) -> Path:
    """Builds the wheel into `out_dir` and returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="synaq-student-") as tmp:
        build = Path(tmp)
        for package in PACKAGES:
            shutil.copytree(source_folder(package), build / package,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (build / "pyproject.toml").write_text(pyproject(), encoding="utf-8")
        before = set(out_dir.glob("*.whl"))
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                               "--no-index", "--quiet", "-w", str(out_dir), str(build)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise DistError(f"pip could not build the student wheel:\n{done.stderr.strip()[-2000:]}")
    made = [w for w in out_dir.glob("synaq_student-*.whl") if w not in before] or sorted(out_dir.glob("synaq_student-*.whl"))
    if not made:
        raise DistError("pip built no synaq_student wheel")
    return made[-1]
