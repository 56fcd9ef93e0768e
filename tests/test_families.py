"""Actor families: the hand-kept alias table (data/actor_families.csv) puts every name of
the Islamic State and its provinces in one family, and no name that merely holds the
letters; an edit to it reaches the next load, the snapshot, the filter, the map's colours
and the export."""

import csv
import json
import shutil

import pandas as pd
import pytest

from dashboard import actors, dataset, snapshot
from dashboard.actors import FAMILIES_PATH, FamiliesError, read_families
from dashboard.cli import main
from dashboard.dataset import load_path

from conftest import SAMPLE, SHARED_DATA, needs_shared_data, opened

ISLAMIC_STATE = [
    # The names the press and the issue use...
    "IS", "ISIS", "ISIL", "Islamic State", "Daesh", "ISWAP", "ISGS", "ISKP", "ISIS-K",
    "ISCAP", "Sinai Province", "Wilayat Sinai",
    # ... ACLED's actor1 (full names, qualifiers in brackets) ...
    "Islamic State West Africa Province (Boko Haram)", "Islamic State (Greater Sahara)",
    "Islamic State Khorasan Province", "Islamic State Central Africa Province",
    "Islamic State West Africa Province", "Islamic State in the Greater Sahara",
    "Islamic State (Iraq)", "Ahlu Sunnah Wa-Jamo",
    # ... GTD's gname, UCDP's side names and the bundled sample's.
    "Islamic State of Iraq and the Levant (ISIL)", "Sinai Province of the Islamic State",
    "Khorasan Chapter of the Islamic State", "IS (attributed)",
    "Islamic State Khorasan Province (ISKP) (attributed)", "ADF",
    "Islamic State in the Greater Sahara (ISGS) (also claimed by JNIM)",
    "islamic state", "ISLAMIC STATE WEST AFRICA PROVINCE", "Islamic  State",
]
AL_QAEDA = [
    "al-Qaeda", "AQIM: Al Qaeda in the Islamic Maghreb", "JNIM",
    "JNIM: Group for Support of Islam and Muslims", "Al Shabaab", "Al-Shabaab",
    "Al-Qaida in the Arabian Peninsula (AQAP)", "Jamaat Nusrat al-Islam wal Muslimin (JNIM)",
    "Jabhat al-Nusra",
]
NO_FAMILY = [
    # Names that hold the letters, not the words...
    "Isiolo militia", "Crisis group", "Israel", "Government of Israel", "Isisford",
    "Basis Front", "Islamic Front", "Islamic Movement", "Mai-Mai Raia Mutomboki",
    # ... the word "is" inside another name (ACLED's Boko Haram, UCDP's JAS) ...
    "Boko Haram - Jamaatu Ahli is-Sunnah lid-Dawati wal-Jihad",
    "Jama'atu Ahlis Sunna Lidda'awati wal-Jihad", "This is a test",
    # ... Somalia's pro-government Sufi militia, not Cabo Delgado's Ahlu Sunnah Wa-Jamo ...
    "Ahlu Sunna Wal Jamaa",
    # ... groups deliberately left out, and the sample's comparison rows.
    "HTS", "Hayat Tahrir al-Sham", "Ahrar al-Sham, HTS, Southern Front", "Government of Iraq",
    "Civilians", "Boko Haram (not IS-attributed)", "Unclaimed (not IS-attributed)",
    "JNIM-linked fighters (not IS-attributed)", "", "   ",
]


@pytest.fixture(scope="module")
def families():
    return read_families()


@pytest.mark.parametrize("name", ISLAMIC_STATE)
def test_every_name_of_the_islamic_state_is_in_its_family(families, name):
    assert families.family_of(name) == "Islamic State"


@pytest.mark.parametrize("name", AL_QAEDA)
def test_al_qaedas_affiliates_are_in_its_family(families, name):
    assert families.family_of(name) == "al-Qaeda"


@pytest.mark.parametrize("name", NO_FAMILY)
def test_names_that_merely_hold_the_letters_have_no_family(families, name):
    assert families.family_of(name) is None


def test_every_row_of_the_table_says_why(families):
    with FAMILIES_PATH.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == len(families.aliases) > 20
    assert all(len(row["note"].strip()) > 20 for row in rows)
    assert families.names() == ["Islamic State", "al-Qaeda"]
    # Each pattern is reached: none is hidden by one above it that matches it already.
    for alias in families.aliases:
        assert families.family_of(alias.pattern) == (alias.family or None), alias.pattern


@pytest.mark.parametrize(("row", "message"), [
    ("ISWAP,Islamic State,words,", "line 2: it has no note saying why"),
    ("ISWAP,Islamic State,regex,why", "line 2: match must be one of words, name"),
    ("--,Islamic State,words,why", "line 2: its pattern is empty"),
])
def test_a_row_that_cannot_be_used_is_named(tmp_path, row, message):
    path = tmp_path / "families.csv"
    path.write_text(f"pattern,family,match,note\n{row}\n", encoding="utf-8")
    with pytest.raises(FamiliesError, match=message):
        read_families(path)


def test_a_table_without_a_column_is_refused(tmp_path):
    path = tmp_path / "families.csv"
    path.write_text("pattern,family\nIS,Islamic State\n", encoding="utf-8")
    with pytest.raises(FamiliesError, match="no column match, note"):
        read_families(path)


def test_the_other_side_gives_the_family_when_the_actor_has_none(write_csv):
    # UCDP's side_a of a state-based conflict is the government, side_b the group.
    path = write_csv("id,date_start,date_end,country,where_coordinates,latitude,longitude,"
                     "where_prec,best,side_a,side_b,type_of_violence\n"
                     "1,2016-01-02,2016-01-02,Iraq,Mosul,36.34,43.13,1,5,Government of Iraq,IS,1\n"
                     "2,2016-01-03,2016-01-03,Iraq,Mosul,36.34,43.13,1,5,IS,Civilians,3\n"
                     "3,2016-01-04,2016-01-04,Iraq,Mosul,36.34,43.13,1,5,PKK,Government of "
                     "Turkey,1\n")
    accepted = load_path(path).accepted
    assert accepted["actor_family"].astype(object).fillna("").tolist() == [
        "Islamic State", "Islamic State", ""]


def snapshots() -> list[str]:
    root = snapshot.folder()
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_an_edited_table_changes_the_next_load_and_its_snapshot(tmp_path, monkeypatch):
    copy = tmp_path / "actor_families.csv"
    shutil.copy(FAMILIES_PATH, copy)
    first = load_path(SAMPLE, families=read_families(copy)).accepted
    assert (first["actor_family"] == "Islamic State").sum() == 154
    assert len(snapshots()) == 1
    # The Khorasan province as a family of its own: a row above the general ones.
    text = copy.read_text(encoding="utf-8").splitlines()
    text.insert(1, "ISKP,IS Khorasan,words,the province on its own, for this test")
    copy.write_text("\n".join(text) + "\n", encoding="utf-8")
    second = load_path(SAMPLE, families=read_families(copy)).accepted
    khorasan = second["actor"].str.contains("ISKP")
    assert (second.loc[khorasan, "actor_family"] == "IS Khorasan").all()
    assert int(khorasan.sum()) == 24
    assert second.loc[~khorasan, "actor_family"].astype(object).equals(
        first.loc[~khorasan, "actor_family"].astype(object))
    assert len(snapshots()) == 2  # the first table's snapshot was not reused
    # Loading with the first table again reads its snapshot back, parsing nothing.
    shutil.copy(FAMILIES_PATH, copy)
    monkeypatch.setattr(dataset, "read_table", lambda *args: pytest.fail("not from snapshot"))
    again = load_path(SAMPLE, families=read_families(copy)).accepted
    assert again["actor_family"].equals(first["actor_family"])


def test_the_export_holds_the_family_and_the_record_the_table(tmp_path):
    out, record = tmp_path / "out.csv", tmp_path / "out.json"
    assert main(["export", str(SAMPLE), "-o", str(out), "--family", "Islamic State",
                 "--country", "Nigeria", "--provenance", str(record)]) == 0
    with out.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert rows
    assert {row["actor_family"] for row in rows} == {"Islamic State"}
    # The sample's Boko Haram rows in Nigeria are comparison rows: not in the family.
    assert not [row for row in rows if "Boko Haram" in row["actor"]]
    provenance = json.loads(record.read_text())
    assert provenance["actor_families"] == read_families().version
    options = provenance["export_options"]
    assert options[options.index("--family") + 1] == "Islamic State"


def test_a_family_no_incident_has_is_refused_with_a_reason(tmp_path, capsys):
    assert main(["export", str(SAMPLE), "-o", str(tmp_path / "out.csv"),
                 "--family", "al-Qaeda"]) == 2
    assert "al-Qaeda" in capsys.readouterr().err



MIXED = """event_id,date,country,place,latitude,longitude,fatalities,actor,event_type
1,2020-01-01,Mali,Menaka,15.92,2.40,3,ISGS,Armed assault
2,2020-02-01,Mali,Mopti,14.49,-4.19,5,JNIM,Armed assault
3,2020-03-01,Mali,Gao,16.27,-0.04,1,Unidentified armed group,Armed assault
4,2020-04-01,Niger,Tillaberi,14.21,1.45,9,Islamic State (Greater Sahara),Armed assault
"""


def test_the_page_filters_and_colours_by_family(monkeypatch, write_csv):
    at = opened(monkeypatch, write_csv(MIXED), family="Islamic State")
    assert not at.exception
    assert at.multiselect(key="families").value == ["Islamic State"]
    assert {m.label: m.value for m in at.metric}["Incidents"] == "2"
    at.multiselect(key="families").set_value([]).run()
    at.radio(key="colour_by").set_value("actor_family").run()
    assert not at.exception
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    (layer,) = [layer for layer in spec["layers"] if layer["id"] == "incidents"]
    colours = {point["actor"]: tuple(point["colour"][:3]) for point in layer["data"]}
    assert colours["ISGS"] == colours["Islamic State (Greater Sahara)"]
    assert len({colours["ISGS"], colours["JNIM"], colours["Unidentified armed group"]}) == 3
    legend = [m.value for m in at.markdown if m.value.startswith("Actor family:")]
    assert "Islamic State" in legend[0]
    assert "al\\-Qaeda" in legend[0]  # escaped for Markdown


@needs_shared_data
def test_every_ucdp_row_with_is_on_either_side_is_in_the_family():
    accepted = load_path(SHARED_DATA / "ucdp_ged_nigeria_hdx_v20_1.csv").accepted
    involved = (accepted["actor"] == "IS") | (accepted["target"] == "IS")
    assert ((accepted["actor_family"] == "Islamic State") == involved).all()
    assert involved.sum() == 949


def test_families_are_named_once_per_distinct_name(monkeypatch):
    calls = []
    families = read_families()
    monkeypatch.setattr(actors.Families, "family_of",
                        lambda self, name: calls.append(name) or None)
    rows = pd.DataFrame({"actor": ["IS", "IS", None, "JNIM"] * 1000,
                         "target": ["Civilians"] * 4000})
    actors.families_of(rows, families)
    assert sorted(calls) == ["Civilians", "IS", "JNIM"]


def test_the_page_reads_an_edited_table_on_its_next_run(monkeypatch, write_csv, tmp_path):
    copy = tmp_path / "actor_families.csv"
    shutil.copy(FAMILIES_PATH, copy)
    monkeypatch.setattr(actors, "FAMILIES_PATH", copy)
    at = opened(monkeypatch, write_csv(MIXED))
    assert at.multiselect(key="families").options == ["Islamic State (2)", "al-Qaeda (1)"]
    text = copy.read_text(encoding="utf-8").splitlines()
    text.insert(1, "Unidentified armed group,Unknown,name,a test's family for the unclaimed")
    copy.write_text("\n".join(text) + "\n", encoding="utf-8")
    at.run()  # the same server, the same session: no restart, no rebuild
    assert not at.exception
    assert at.multiselect(key="families").options == [
        "Islamic State (2)", "Unknown (1)", "al-Qaeda (1)"]


def test_a_broken_table_is_said_and_the_incidents_still_load(monkeypatch, write_csv,
                                                             tmp_path):
    broken = tmp_path / "actor_families.csv"
    broken.write_text("pattern,family,match,note\nISWAP,Islamic State,words,\n",
                      encoding="utf-8")
    monkeypatch.setattr(actors, "FAMILIES_PATH", broken)
    at = opened(monkeypatch, write_csv(MIXED))
    assert not at.exception
    (error,) = at.sidebar.error
    assert "Actor families are not shown" in error.value
    assert "line 2\\: it has no note saying why" in error.value  # escaped for Markdown
    assert {m.label: m.value for m in at.metric}["Incidents"] == "4"
    assert at.multiselect(key="families").options == []
