"""The USB stick: which removable drives this computer sees, the space a bundle takes on one,
and writing made for cheap sticks that may be full, read-only or pulled out (temporary name,
fsync, rename; the read-back comes from the stick, not the cache)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
from pathlib import Path

TMP = ".tmp"

def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def cluster_bytes(path: Path) -> int:
    try:
        st = os.statvfs(path)
        return max(512, st.f_frsize or st.f_bsize or 4096)
    except (AttributeError, OSError):
        return 32 * 1024  # Windows: the largest common FAT32 cluster, to be safe


def estimate_bytes(files: dict[str, bytes], cluster: int) -> int:
    """Space the bundle takes on the stick: every file rounded up to whole clusters, one
    cluster per folder, and a margin for directory entries and the file system's own needs."""
    folders = {str(Path(p).parent) for p in files} | {"."}
    data = sum(max(1, -(-len(b) // cluster)) * cluster for b in files.values())
    return data + (len(folders) + 1) * cluster + 64 * 1024


def is_read_only(path: Path) -> bool:
    try:
        if os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 1):
            return True
    except (AttributeError, OSError):
        pass
    return not os.access(path, os.W_OK)


def fsync_dir(path: Path) -> None:
    """Makes a rename durable; not every OS or file system lets a folder be fsynced."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_file_safely(path: Path, data: bytes) -> None:
    """Temporary name, write, flush, fsync, rename; then fsync the folder. The file is its
    owner's alone (where the file system keeps modes: on FAT the sealing protects it)."""
    tmp = path.with_name(path.name + TMP)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def drop_cache(path: Path) -> None:
    """Asks the OS to forget its cached copy, so the read-back comes from the stick itself."""
    if not hasattr(os, "posix_fadvise"):
        return
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    except OSError:
        pass


def human_size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} KB"


def remove_tree(path: Path) -> None:
    def retry(func, p, _exc):
        try:
            os.chmod(p, stat.S_IWRITE)
            func(p)
        except OSError:
            pass
    if path.exists():
        shutil.rmtree(path, onexc=retry) if sys.version_info >= (3, 12) else shutil.rmtree(path, onerror=retry)


# ------------------------------------------------------------------------- drives

def list_drives() -> list[dict]:
    """Removable drives this computer sees: [{path, label, free_bytes, removable}]."""
    try:
        if sys.platform.startswith("linux"):
            return linux_drives()
        if sys.platform == "darwin":
            return mac_drives()
        if sys.platform == "win32":
            return windows_drives()
    except OSError:
        return []
    return []


def _drive(path: Path, label: str, removable: bool) -> dict | None:
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        return None
    return {"path": str(path), "label": label, "free_bytes": int(free), "removable": removable}


def _unescape_mount(text: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def _block_removable(device: str, sys_block: Path) -> bool:
    """Whether /dev/<device> (or the disk a partition belongs to) says it is removable."""
    name = Path(device).name
    candidates = [name, re.sub(r"p?\d+$", "", name)]
    cls = sys_block.parent / "class" / "block" / name
    try:
        parent = cls.resolve().parent.name
        candidates.append(parent)
    except OSError:
        pass
    for candidate in candidates:
        try:
            if (sys_block / candidate / "removable").read_text().strip() == "1":
                return True
        except OSError:
            continue
    return False


def linux_drives(mounts: str | None = None, sys_block: Path = Path("/sys/block"),
                 media_roots: tuple[str, ...] = ("/media/", "/run/media/", "/mnt/")) -> list[dict]:
    """Mounts under /media, /run/media or /mnt, and mounts of removable block devices."""
    if mounts is None:
        mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
    found, seen = [], set()
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        device, point, fstype = _unescape_mount(parts[0]), _unescape_mount(parts[1]), parts[2]
        if point in seen or fstype in ("autofs", "tmpfs", "proc", "sysfs", "devtmpfs", "squashfs"):
            continue
        under_media = any(point.startswith(root) for root in media_roots)
        removable = device.startswith("/dev/") and _block_removable(device, sys_block)
        if not (under_media or removable):
            continue
        drive = _drive(Path(point), Path(point).name, removable or under_media)
        if drive is not None:
            seen.add(point)
            found.append(drive)
    return found


def mac_drives(volumes: Path = Path("/Volumes")) -> list[dict]:
    found = []
    for entry in sorted(volumes.iterdir()):
        if entry.is_symlink():  # the start-up disk is a link to /
            continue
        drive = _drive(entry, entry.name, True)
        if drive is not None:
            found.append(drive)
    return found


def windows_drives() -> list[dict]:
    import ctypes

    kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
    found = []
    mask = kernel.GetLogicalDrives()
    for index in range(26):
        if not mask & (1 << index):
            continue
        root = f"{chr(65 + index)}:\\"
        if kernel.GetDriveTypeW(ctypes.c_wchar_p(root)) != 2:  # DRIVE_REMOVABLE
            continue
        name = ctypes.create_unicode_buffer(261)
        ok = kernel.GetVolumeInformationW(ctypes.c_wchar_p(root), name, 261, None, None, None, None, 0)
        drive = _drive(Path(root), name.value if ok else root, True)
        if drive is not None:
            found.append(drive)
    return found
