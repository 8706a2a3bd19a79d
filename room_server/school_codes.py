"""The codes that place a room's school for the analysis centre: its region and its BIN.

`room-server init --region KZ-ALM --school-bin 123456789012` stores them in the room; the
bundle's manifest and the paper protocol carry them; the centre partitions its dataset by the
region and knows the school by its BIN. Both are optional (a room without them is placed by
the centre from where its stick came).

Region codes follow ISO 3166-2:KZ's letter codes; the regions made in 2022 (Abai, Jetisu,
Ulytau) have no letter code there, so they are named in the same style. A code is text, never
a number. The BIN (бизнес-сәйкестендіру нөмірі / бизнес-идентификационный номер) is the
school's 12-digit business id, with the IIN's check digit.
"""

from __future__ import annotations

from .roster import iin_check_digit
from .roster_columns import ascii_digits

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


def is_region(code: str) -> bool:
    return code in REGIONS


def region_problem(code: str) -> str | None:
    """None if `code` is a region code, else what is wrong with it."""
    if is_region(code):
        return None
    return f"{code!r} is not a region code; use one of {', '.join(sorted(REGIONS))}"


def bin_problem(text: str) -> str | None:
    """None if `text` is a valid BIN: 12 digits, a registration month (digits 3-4), a legal
    entity's kind (5th digit 4, 5 or 6) and the right check digit."""
    if len(text) != 12 or not ascii_digits(text):
        return f"BIN {text!r} must be 12 digits"
    if not 1 <= int(text[2:4]) <= 12:
        return f"BIN {text}: digits 3-4 are the month it was registered (01-12), not {text[2:4]}"
    if text[4] not in "456":
        return f"BIN {text}: the 5th digit must be 4, 5 or 6 (a legal entity); a 12-digit number with another is an IIN"
    if iin_check_digit(text[:11]) != int(text[11]):
        return f"BIN {text}: the check digit is wrong (a typo?)"
    return None
