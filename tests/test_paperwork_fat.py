"""Export onto real FAT file systems: images made with mkfs.vfat and mounted through FUSE
(fusefat), as a USB stick is: a roomy one, a full one, one that fills up mid-write, a
read-only one. Skipped, with the reason printed, only where FAT cannot be mounted here."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from paperwork_support import copy_room, fat_tools, make_fat_image, mount_fat, run_sitting, unmount
from room_server import bundle as bn
from room_server import drives
from room_server.cli import main as cli_main


@pytest.fixture(scope="module")
def sat_room(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("sat") / "room"
    asyncio.run(run_sitting(data))
    return data


@pytest.fixture
def room(sat_room, tmp_path) -> Path:
    return copy_room(sat_room, tmp_path / "room")


@pytest.fixture
def fat(tmp_path):
    """Makes and mounts FAT images; everything mounted is unmounted at the end."""
    reason = fat_tools()
    if reason:
        print(f"SKIPPED FAT tests: {reason}")
        pytest.skip(reason)
    mounted: list[Path] = []

    def mount(kilobytes: int, *, read_only: bool = False, fill: bool = False, name: str = "stick") -> Path:
        image = tmp_path / f"{name}.img"
        point = tmp_path / name
        make_fat_image(image, kilobytes)
        if fill:  # fill it while it is writable, then mount it again as the test wants
            failure = mount_fat(image, point)
            if failure:
                print(f"SKIPPED: {failure}")
                pytest.skip(failure)
            _fill(point)
            unmount(point)
        failure = mount_fat(image, point, read_only=read_only)
        if failure:
            print(f"SKIPPED: {failure}")
            pytest.skip(failure)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        unmount(point)


def _fill(point: Path) -> None:
    chunk = b"\0" * 65536
    with open(point / "FILLER.BIN", "wb") as f:
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:
            pass
    assert drives.free_bytes(point) < 64 * 1024


def test_export_onto_a_real_fat_stick_verifies(room, fat, capsys):
    stick = fat(16 * 1024)
    assert cli_main(["export", "--data", str(room), "--to", str(stick)]) == 0
    assert cli_main(["export", "--data", str(room), "--to", str(stick)]) == 0
    bundles = sorted(stick.iterdir())
    assert len(bundles) == 2 and bundles[1].name == bundles[0].name + "_2"
    assert not [p for p in stick.rglob("*") if p.name.endswith(".tmp")]
    capsys.readouterr()
    for bundle in bundles:
        assert cli_main(["verify", str(bundle)]) == 0
        assert "OK:" in capsys.readouterr().out
    assert len(list((bundles[0] / "qti").iterdir())) == 30


def test_a_full_stick_is_refused_before_anything_is_written(room, fat, capsys):
    stick = fat(2048, fill=True)
    before = sorted(p.name for p in stick.iterdir())
    assert cli_main(["export", "--data", str(room), "--to", str(stick)]) == 1
    err = capsys.readouterr().err
    assert "not enough space" in err and "nothing was written" in err
    assert sorted(p.name for p in stick.iterdir()) == before


def test_a_stick_that_fills_up_mid_write_is_cleaned_up(room, fat, monkeypatch, capsys):
    stick = fat(256)  # a quarter of a megabyte: the bundle does not fit
    (stick / "KEEP.TXT").write_text("an earlier file")
    # The estimate is told the stick is roomy, so the writing itself meets the full disk.
    real_free = drives.free_bytes
    monkeypatch.setattr(drives, "free_bytes", lambda path: 10**9)
    original = bn._classify

    def classify(exc, target, remaining):
        monkeypatch.setattr(drives, "free_bytes", real_free)
        return original(exc, target, remaining)

    monkeypatch.setattr(bn, "_classify", classify)
    assert cli_main(["export", "--data", str(room), "--to", str(stick)]) == 1
    err = capsys.readouterr().err
    assert "became full while writing" in err and "unfinished bundle was removed" in err
    assert sorted(p.name for p in stick.iterdir()) == ["KEEP.TXT"]
    assert (stick / "KEEP.TXT").read_text() == "an earlier file"


def test_a_read_only_stick_is_refused(room, fat, capsys):
    stick = fat(8 * 1024, read_only=True)
    assert cli_main(["export", "--data", str(room), "--to", str(stick)]) == 1
    err = capsys.readouterr().err
    assert "read-only" in err
    assert list(stick.iterdir()) == []


def test_a_missing_target_is_refused(room, tmp_path, capsys):
    assert cli_main(["export", "--data", str(room), "--to", str(tmp_path / "no-stick")]) == 1
    assert "does not exist" in capsys.readouterr().err
