"""The shipped reference tables and the checker of reference documents."""

from __future__ import annotations

import copy
import tomllib

import pytest

from content import content_root
from content.model import PeriodicTable, Problem, SolubilityTable
from content.reference import (CODES, PERIODIC_FILE, SOLUBILITY_FILE, load_reference, parse_reference, periodic_table,
                               solubility_table)
from content.reference_rows import (element_by_number, element_by_symbol, ion_display, mass_text, periodic_rows,
                                    solubility_rows)


@pytest.fixture(scope="module")
def pt() -> PeriodicTable:
    return periodic_table()


@pytest.fixture(scope="module")
def st() -> SolubilityTable:
    return solubility_table()


# --- the shipped periodic table -----------------------------------------------------------

def test_shipped_files_load_without_problems():
    for relative in (PERIODIC_FILE, SOLUBILITY_FILE):
        table, problems = load_reference(content_root() / relative)
        assert problems == []
        assert table is not None


def test_periodic_header(pt):
    assert pt.id == "periodic-table"
    assert pt.title["kk"] == "Менделеевтің химиялық элементтерінің периодтық жүйесі"
    assert pt.title["ru"] == "Периодическая система химических элементов Д. И. Менделеева"
    assert pt.title["en"] == "Periodic table of the elements"


def test_118_elements_numbered_in_order(pt):
    assert len(pt.elements) == 118
    assert [e.number for e in pt.elements] == list(range(1, 119))


def test_symbols_unique(pt):
    symbols = [e.symbol for e in pt.elements]
    assert len(set(symbols)) == len(symbols)


def test_every_name_in_three_languages(pt):
    for e in pt.elements:
        assert set(e.names) == {"kk", "ru", "en"}
        for lang in ("kk", "ru", "en"):
            assert e.names[lang].strip(), (e.number, lang)


def test_iron(pt):
    fe = element_by_symbol(pt, "Fe")
    assert fe.number == 26
    assert fe.group == 8
    assert fe.period == 4
    assert fe.mass == pytest.approx(55.845)
    assert fe.names["kk"] == "Темір"
    assert fe.names["ru"] == "Железо"
    assert fe.names["en"] == "Iron"


@pytest.mark.parametrize("symbol, number, group, period, mass, kk, ru", [
    ("H", 1, 1, 1, 1.008, "Сутегі", "Водород"),
    ("C", 6, 14, 2, 12.011, "Көміртек", "Углерод"),
    ("O", 8, 16, 2, 15.999, "Оттек", "Кислород"),
    ("Na", 11, 1, 3, 22.990, "Натрий", "Натрий"),
    ("S", 16, 16, 3, 32.06, "Күкірт", "Сера"),
    ("Cl", 17, 17, 3, 35.45, "Хлор", "Хлор"),
    ("Cu", 29, 11, 4, 63.546, "Мыс", "Медь"),
    ("Zn", 30, 12, 4, 65.38, "Мырыш", "Цинк"),
    ("Ag", 47, 11, 5, 107.87, "Күміс", "Серебро"),
    ("Sn", 50, 14, 5, 118.71, "Қалайы", "Олово"),
    ("Au", 79, 11, 6, 196.97, "Алтын", "Золото"),
    ("Hg", 80, 12, 6, 200.59, "Сынап", "Ртуть"),
    ("Pb", 82, 14, 6, 207.2, "Қорғасын", "Свинец"),
    ("Tc", 43, 7, 5, 98.0, "Технеций", "Технеций"),
    ("Og", 118, 18, 7, 294.0, "Оганесон", "Оганесон"),
])
def test_known_elements(pt, symbol, number, group, period, mass, kk, ru):
    e = element_by_symbol(pt, symbol)
    assert (e.number, e.group, e.period) == (number, group, period)
    assert e.mass == pytest.approx(mass)
    assert (e.names["kk"], e.names["ru"]) == (kk, ru)


def test_lanthanides_and_actinides_have_no_group(pt):
    assert element_by_symbol(pt, "La").group is None
    assert element_by_symbol(pt, "U").group is None
    groupless = [e.number for e in pt.elements if e.group is None]
    assert groupless == list(range(57, 72)) + list(range(89, 104))


def test_groups_and_periods_in_range(pt):
    for e in pt.elements:
        assert 1 <= e.period <= 7
        assert e.group is None or 1 <= e.group <= 18
        assert e.mass > 0
    # Masses grow with the number, except the few famous swaps (Ar/K, Co/Ni, Te/I, Th/Pa, ...).
    swaps = sum(1 for a, b in zip(pt.elements, pt.elements[1:]) if b.mass < a.mass)
    assert swaps <= 8


def test_period_sizes(pt):
    sizes = [sum(1 for e in pt.elements if e.period == p) for p in range(1, 8)]
    assert sizes == [2, 8, 8, 18, 18, 32, 32]


def test_lookups(pt):
    assert element_by_symbol(pt, "fe").number == 26
    assert element_by_symbol(pt, " Na ").number == 11
    assert element_by_symbol(pt, "Xx") is None
    assert element_by_number(pt, 8).symbol == "O"
    assert element_by_number(pt, 0) is None


def test_periodic_rows(pt):
    rows = periodic_rows(pt, "kk")
    assert len(rows) == 9
    assert all(len(r) == 18 for r in rows)
    assert rows[0][0] == "1 H 1.01"
    assert rows[0][17] == "2 He 4.00"
    assert rows[0][1] == ""
    assert rows[3][7] == "26 Fe 55.85"
    assert rows[2][0] == "11 Na 22.99"
    assert rows[5][2] == "57-71"
    assert rows[6][2] == "89-103"
    assert rows[6][17] == "118 Og 294"
    assert rows[7][0] == "Лантаноидтар"
    assert rows[7][2] == "57 La 138.91"
    assert rows[7][16] == "71 Lu 174.97"
    assert rows[8][0] == "Актиноидтар"
    assert rows[8][5] == "92 U 238.03"
    assert periodic_rows(pt, "ru")[7][0] == "Лантаноиды"
    assert periodic_rows(pt, "en")[8][0] == "Actinides"
    assert periodic_rows(pt, "xx")[8][0] == "Actinides"


def test_mass_text():
    assert mass_text(55.845) == "55.85"
    assert mass_text(35.45) == "35.45"
    assert mass_text(98.0) == "98"


# --- the shipped solubility table ---------------------------------------------------------

CATIONS = ["H+", "Li+", "K+", "Na+", "NH4+", "Ba2+", "Ca2+", "Mg2+", "Sr2+", "Al3+", "Cr3+",
           "Fe2+", "Fe3+", "Ni2+", "Co2+", "Mn2+", "Zn2+", "Ag+", "Hg2+", "Pb2+", "Sn2+", "Cu2+"]
ANIONS = ["OH-", "F-", "Cl-", "Br-", "I-", "S2-", "HS-", "SO3 2-", "SO4 2-", "HSO4-", "NO3-",
          "NO2-", "PO4 3-", "CO3 2-", "HCO3-", "CH3COO-", "SiO3 2-"]


def test_solubility_header(st):
    assert st.id == "solubility"
    assert st.title["ru"] == "Растворимость кислот, оснований и солей в воде"
    assert st.title["kk"] == "Қышқылдардың, негіздердің және тұздардың суда ерігіштігі"
    assert list(st.cations) == CATIONS
    assert list(st.anions) == ANIONS
    assert set(st.legend) == set(CODES)
    for code in CODES:
        assert set(st.legend[code]) == {"kk", "ru", "en"}


def test_every_cell_has_a_code(st):
    for c in st.cations:
        for a in st.anions:
            assert st.solubility(c, a) in CODES


@pytest.mark.parametrize("cation, anion, code", [
    ("Ag+", "Cl-", "N"),       # AgCl
    ("Ba2+", "SO4 2-", "N"),   # BaSO4
    ("Na+", "Cl-", "R"),       # NaCl
    ("Ca2+", "SO4 2-", "M"),   # CaSO4
    ("Ca2+", "CO3 2-", "N"),   # CaCO3
    ("K+", "NO3-", "R"),       # KNO3
    ("Cu2+", "OH-", "N"),      # Cu(OH)2
    ("Ag+", "OH-", "-"),       # AgOH
    ("Al3+", "S2-", "-"),      # Al2S3
    ("Pb2+", "Cl-", "M"),      # PbCl2
    ("Ag+", "SO4 2-", "M"),    # Ag2SO4
    ("Ca2+", "OH-", "M"),      # Ca(OH)2
    ("Na+", "CO3 2-", "R"),    # Na2CO3
    ("Fe3+", "OH-", "N"),      # Fe(OH)3
    ("Ba2+", "OH-", "R"),      # Ba(OH)2
    ("Mg2+", "OH-", "N"),      # Mg(OH)2
    ("Ag+", "I-", "N"),        # AgI
    ("Ca2+", "PO4 3-", "N"),   # Ca3(PO4)2
    ("Cu2+", "SO4 2-", "R"),   # CuSO4
    ("H+", "SiO3 2-", "N"),    # H2SiO3
    ("Pb2+", "S2-", "N"),      # PbS
    ("Mg2+", "CO3 2-", "M"),   # MgCO3
])
def test_known_solubilities(st, cation, anion, code):
    assert st.solubility(cation, anion) == code


def test_every_nitrate_soluble(st):
    assert all(st.solubility(c, "NO3-") == "R" for c in st.cations)


def test_sodium_potassium_ammonium_salts_soluble(st):
    # The school table's one exception among these: ammonium silicate does not exist.
    exceptions = {("NH4+", "SiO3 2-"): "-"}
    for c in ("Na+", "K+", "NH4+"):
        for a in st.anions:
            assert st.solubility(c, a) == exceptions.get((c, a), "R"), (c, a)


def test_solubility_rows(st):
    rows = solubility_rows(st)
    assert rows[0] == [""] + CATIONS
    assert len(rows) == 1 + len(ANIONS)
    assert all(len(r) == 1 + len(CATIONS) for r in rows)
    cl = next(r for r in rows if r[0] == "Cl-")
    assert cl[1 + CATIONS.index("Ag+")] == "N"


@pytest.mark.parametrize("key, shown", [
    ("Ba2+", "Ba²⁺"), ("S2-", "S²⁻"), ("NH4+", "NH₄⁺"), ("SO4 2-", "SO₄²⁻"),
    ("PO4 3-", "PO₄³⁻"), ("CH3COO-", "CH₃COO⁻"), ("H+", "H⁺"), ("HSO4-", "HSO₄⁻"),
])
def test_ion_display(key, shown):
    assert ion_display(key) == shown


# --- broken documents ---------------------------------------------------------------------

def _periodic_doc() -> dict:
    def element(number, symbol, kk, ru, en, mass, group, period):
        e = {"number": number, "symbol": symbol, "name": {"kk": kk, "ru": ru, "en": en},
             "mass": mass, "period": period}
        if group is not None:
            e["group"] = group
        return e

    return {
        "kind": "reference", "table": "periodic", "id": "pt",
        "title": {"kk": "Кесте", "ru": "Таблица", "en": "Table"},
        "element": [
            element(1, "H", "Сутегі", "Водород", "Hydrogen", 1.008, 1, 1),
            element(2, "He", "Гелий", "Гелий", "Helium", 4.0026, 18, 1),
            element(3, "Li", "Литий", "Литий", "Lithium", 6.94, 1, 2),
        ],
    }


def _solubility_doc() -> dict:
    text = {"kk": "x", "ru": "x", "en": "x"}
    return {
        "kind": "reference", "table": "solubility", "id": "sol",
        "title": {"kk": "Кесте", "ru": "Таблица", "en": "Table"},
        "cations": ["Na+", "Ag+"],
        "anions": ["Cl-", "SO4 2-"],
        "legend": {code: dict(text) for code in CODES},
        "rows": {"Cl-": ["R", "N"], "SO4 2-": ["R", "M"]},
    }


def test_good_small_documents_parse():
    pt, problems = parse_reference(_periodic_doc(), "p.toml")
    assert problems == [] and isinstance(pt, PeriodicTable) and len(pt.elements) == 3
    assert pt.path == "p.toml"
    st, problems = parse_reference(_solubility_doc(), "s.toml")
    assert problems == [] and isinstance(st, SolubilityTable)
    assert st.solubility("Ag+", "Cl-") == "N"


def _set(path, value):
    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _delete(path):
    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


def _append_element(**fields):
    def change(doc):
        doc["element"].append(fields)
    return change


_OK_NAME = {"kk": "а", "ru": "а", "en": "a"}

# (what is broken, base document, change, where, field, phrase in the message)
BROKEN = [
    ("wrong kind", _periodic_doc, _set(["kind"], "test"), "reference", "kind", "must be \"reference\""),
    ("missing table", _periodic_doc, _delete(["table"]), "reference", "table", "missing"),
    ("unknown table", _periodic_doc, _set(["table"], "ions"), "reference", "table", "\"periodic\" or \"solubility\""),
    ("unknown header field", _periodic_doc, _set(["colour"], "red"), "reference", "colour", "unknown field"),
    ("bad id", _periodic_doc, _set(["id"], "my table"), "reference", "id", "letters, digits"),
    ("title missing a language", _periodic_doc, _delete(["title", "en"]), "reference", "title.en", "missing the en text"),
    ("no elements", _periodic_doc, _set(["element"], []), "reference", "element", "no [[element]]"),
    ("element not a table", _periodic_doc, _set(["element", 1], "He"), "element #2", "", "must be a table"),
    ("unknown element field", _periodic_doc, _set(["element", 1, "colour"], "red"), "element 2", "colour", "unknown field"),
    ("number missing", _periodic_doc, _delete(["element", 1, "number"]), "element #2", "number", "missing"),
    ("number not whole", _periodic_doc, _set(["element", 1, "number"], "2"), "element #2", "number", "must be a whole number"),
    ("number gap", _periodic_doc, _set(["element", 2, "number"], 4), "reference", "element", "missing: 3"),
    ("duplicate number", _periodic_doc, _set(["element", 2, "number"], 2), "element 2", "number", "duplicate number 2"),
    ("duplicate symbol", _periodic_doc, _set(["element", 2, "symbol"], "H"), "element 3", "symbol", "duplicate symbol 'H'"),
    ("bad symbol", _periodic_doc, _set(["element", 2, "symbol"], "li"), "element 3", "symbol", "not an element symbol"),
    ("name missing kk", _periodic_doc, _delete(["element", 0, "name", "kk"]), "element 1", "name.kk", "missing the kk text"),
    ("name empty ru", _periodic_doc, _set(["element", 0, "name", "ru"], "  "), "element 1", "name.ru", "must not be empty"),
    ("name not a table", _periodic_doc, _set(["element", 0, "name"], "Сутегі"), "element 1", "name", "must be a table"),
    ("name unknown language", _periodic_doc, _set(["element", 0, "name", "de"], "Wasserstoff"), "element 1", "name.de", "unknown language"),
    ("mass missing", _periodic_doc, _delete(["element", 0, "mass"]), "element 1", "mass", "missing"),
    ("mass not positive", _periodic_doc, _set(["element", 0, "mass"], 0), "element 1", "mass", "must be positive"),
    ("mass as text", _periodic_doc, _set(["element", 0, "mass"], "1.008"), "element 1", "mass", "must be a number"),
    ("mass not finite", _periodic_doc, _set(["element", 0, "mass"], float("nan")), "element 1", "mass", "must be a number"),
    ("group out of range", _periodic_doc, _set(["element", 1, "group"], 19), "element 2", "group", "must be 1 to 18"),
    ("group a boolean", _periodic_doc, _set(["element", 1, "group"], True), "element 2", "group", "must be a whole number"),
    ("group missing outside the series", _periodic_doc, _delete(["element", 2, "group"]), "element 3", "group", "only lanthanides and actinides"),
    ("period out of range", _periodic_doc, _set(["element", 1, "period"], 8), "element 2", "period", "must be 1 to 7"),
    ("period missing", _periodic_doc, _delete(["element", 1, "period"]), "element 2", "period", "missing"),
    ("two elements in one place", _periodic_doc,
     _append_element(number=4, symbol="Be", name=_OK_NAME, mass=9.0122, group=1, period=2),
     "element 4", "group", "already element 3"),
    ("cations missing", _solubility_doc, _delete(["cations"]), "reference", "cations", "missing"),
    ("cation listed twice", _solubility_doc, _set(["cations"], ["Na+", "Na+"]), "reference", "cations", "listed twice"),
    ("anions not a list", _solubility_doc, _set(["anions"], "Cl-"), "reference", "anions", "must be a list"),
    ("legend missing a code", _solubility_doc, _delete(["legend", "-"]), "legend", "-", "missing the text for code '-'"),
    ("legend unknown code", _solubility_doc, _set(["legend", "X"], dict(_OK_NAME)), "legend", "X", "unknown code"),
    ("legend missing a language", _solubility_doc, _delete(["legend", "M", "kk"]), "legend", "M.kk", "missing the kk text"),
    ("rows missing", _solubility_doc, _delete(["rows"]), "reference", "rows", "missing"),
    ("row missing", _solubility_doc, _delete(["rows", "SO4 2-"]), "row SO4 2-", "", "every anion needs a row"),
    ("unknown anion row", _solubility_doc, _set(["rows", "NO3-"], ["R", "R"]), "row NO3-", "", "unknown anion"),
    ("row too short", _solubility_doc, _set(["rows", "Cl-"], ["R"]), "row Cl-", "", "has 1 codes, expected 2"),
    ("row not a list", _solubility_doc, _set(["rows", "Cl-"], "RN"), "row Cl-", "", "must be a list"),
    ("bad code", _solubility_doc, _set(["rows", "SO4 2-"], ["R", "P"]), "row SO4 2-", "Ag+", "'P' is not a solubility code"),
    ("lower-case code", _solubility_doc, _set(["rows", "Cl-"], ["r", "N"]), "row Cl-", "Na+", "not a solubility code"),
    ("solubility unknown field", _solubility_doc, _set(["element"], []), "reference", "element", "unknown field"),
]


@pytest.mark.parametrize("flaw, base, change, where, field, phrase", BROKEN,
                         ids=[b[0] for b in BROKEN])
def test_broken_document(flaw, base, change, where, field, phrase):
    doc = copy.deepcopy(base())
    change(doc)
    table, problems = parse_reference(doc, "broken.toml")
    assert table is None
    assert problems, flaw
    matching = [p for p in problems if p.where == where and p.field == field]
    assert matching, [str(p) for p in problems]
    assert any(phrase in p.message for p in matching), [str(p) for p in matching]
    assert all(isinstance(p, Problem) and p.path == "broken.toml" for p in problems)


def test_document_not_a_table():
    table, problems = parse_reference(["kind"], "x.toml")  # type: ignore[arg-type]
    assert table is None and problems[0].where == "reference"


def test_problem_reads_well():
    doc = _periodic_doc()
    doc["element"][2]["period"] = 9
    _, problems = parse_reference(doc, "periodic.toml")
    assert str(problems[0]) == "periodic.toml: element 3.period: must be 1 to 7, not 9"


# --- files --------------------------------------------------------------------------------

def test_not_toml_gives_a_problem(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('kind = "reference"\ntable = \n', encoding="utf-8")
    table, problems = load_reference(path)
    assert table is None
    assert len(problems) == 1
    assert problems[0].where == "line 2, column 9"  # where tomllib stopped, as for every content file
    assert problems[0].message
    assert problems[0].path == str(path)


def test_not_utf8_gives_a_problem(tmp_path):
    path = tmp_path / "cp1251.toml"
    path.write_bytes('kind = "reference"\nid = "Кесте"\n'.encode("cp1251"))
    table, problems = load_reference(path)
    assert table is None
    assert "not UTF-8" in problems[0].message


def test_binary_file_gives_a_problem(tmp_path):
    path = tmp_path / "image.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    table, problems = load_reference(path)
    assert table is None and problems


def test_missing_file_gives_a_problem(tmp_path):
    table, problems = load_reference(tmp_path / "nowhere.toml")
    assert table is None
    assert problems[0].message == "no such file"


def test_a_directory_gives_a_problem(tmp_path):
    table, problems = load_reference(tmp_path)
    assert table is None and problems


def test_byte_order_mark_is_accepted(tmp_path):
    source = (content_root() / SOLUBILITY_FILE).read_text(encoding="utf-8")
    path = tmp_path / "bom.toml"
    path.write_text("\ufeff" + source, encoding="utf-8")
    table, problems = load_reference(path)
    assert problems == [] and isinstance(table, SolubilityTable)


def test_shipped_periodic_file_round_trip():
    doc = tomllib.loads((content_root() / PERIODIC_FILE).read_text(encoding="utf-8"))
    assert doc["kind"] == "reference" and doc["table"] == "periodic"
    table, problems = parse_reference(doc, PERIODIC_FILE)
    assert problems == [] and table.elements == periodic_table().elements
