"""Regions of Kazakhstan as the dataset's text codes (the partition `region=KZ-ALM`).

Codes follow ISO 3166-2:KZ's letter codes; the regions made in 2022 (Abai, Jetisu, Ulytau)
have no letter code there, so the centre names them in the same style. A code is text, never
a number, so it survives every engine and spreadsheet unchanged.
"""

from __future__ import annotations

import re

# code -> (Kazakh, Russian)
REGIONS: dict[str, tuple[str, str]] = {
    "KZ-AST": ("Астана қаласы", "город Астана"),
    "KZ-ALA": ("Алматы қаласы", "город Алматы"),
    "KZ-SHY": ("Шымкент қаласы", "город Шымкент"),
    "KZ-ABY": ("Абай облысы", "Абайская область"),
    "KZ-AKM": ("Ақмола облысы", "Акмолинская область"),
    "KZ-AKT": ("Ақтөбе облысы", "Актюбинская область"),
    "KZ-ALM": ("Алматы облысы", "Алматинская область"),
    "KZ-ATY": ("Атырау облысы", "Атырауская область"),
    "KZ-ZAP": ("Батыс Қазақстан облысы", "Западно-Казахстанская область"),
    "KZ-ZHA": ("Жамбыл облысы", "Жамбылская область"),
    "KZ-ZHT": ("Жетісу облысы", "Область Жетісу"),
    "KZ-KAR": ("Қарағанды облысы", "Карагандинская область"),
    "KZ-KUS": ("Қостанай облысы", "Костанайская область"),
    "KZ-KZY": ("Қызылорда облысы", "Кызылординская область"),
    "KZ-MAN": ("Маңғыстау облысы", "Мангистауская область"),
    "KZ-PAV": ("Павлодар облысы", "Павлодарская область"),
    "KZ-SEV": ("Солтүстік Қазақстан облысы", "Северо-Казахстанская область"),
    "KZ-TUR": ("Түркістан облысы", "Туркестанская область"),
    "KZ-ULT": ("Ұлытау облысы", "Область Ұлытау"),
    "KZ-VOS": ("Шығыс Қазақстан облысы", "Восточно-Казахстанская область"),
}

_CODE = re.compile(r"^KZ-[A-Z]{3}$")


def is_region(code: str) -> bool:
    return bool(_CODE.match(code or "")) and code in REGIONS


def region_name(code: str, language: str) -> str:
    names = REGIONS.get(code)
    if names is None:
        return code
    return names[0] if language == "kk" else names[1]


def region_in_path(parts: tuple[str, ...]) -> str | None:
    """The nearest folder named like a region code: sticks sorted into `KZ-ALM/` folders."""
    for part in reversed(parts):
        if is_region(part.upper()):
            return part.upper()
    return None
