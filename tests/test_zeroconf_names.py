"""The room's zeroconf service name: at most 63 bytes of UTF-8 (one DNS label), cut on a
character boundary, and different for every room (the netns test advertises real ones)."""

from __future__ import annotations

import pytest
from zeroconf import ServiceInfo
from zeroconf._utils.name import service_type_name

from room_protocol import SERVICE_TYPE
from room_server.discovery import cut_utf8, instance_name

SCHOOLS = [
    "№ 7 Әл-Фараби атындағы мектеп-гимназиясы",
    "Средняя общеобразовательная школа-лицей № 165 имени Абая Кунанбаева города Алматы",
    "Қ.Сәтбаев атындағы №12 жалпы білім беретін мектеп. Өскемен қ.",
    "Школа №7",
    "",
]


@pytest.mark.parametrize("school", SCHOOLS)
def test_the_name_fits_one_dns_label(school):
    name = instance_name(school, "204", "administrators-laptop.school.local", 8765)
    assert len(name.encode("utf-8")) <= 63
    assert "\ufffd" not in name  # never half a letter
    assert service_type_name(f"{name}.{SERVICE_TYPE}")  # zeroconf's own check ("Too long")
    ServiceInfo(SERVICE_TYPE, f"{name}.{SERVICE_TYPE}", port=8765, parsed_addresses=["10.0.0.5"])
    assert name.endswith("204 (administra:8765)")
    words = " ".join(school.replace(".", " ").split())
    assert words.startswith(name.split(", 204 (")[0]) or not school


def test_the_name_is_unique_per_room():
    school = SCHOOLS[0]
    names = {instance_name(school, room, host, port)
             for room in ("204", "205") for host in ("laptop-a", "laptop-b") for port in (8765, 8766)}
    assert len(names) == 8


def test_cut_keeps_whole_characters():
    assert cut_utf8("Әлихан", 3) == "Ә"  # Ә is two bytes, л two more
    assert cut_utf8("Әлихан", 4) == "Әл"
    assert cut_utf8("abc", 10) == "abc"
