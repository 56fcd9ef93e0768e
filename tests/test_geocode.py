import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.gazetteer import load_gazetteer, loose_key, normalize_name, split_type_word
from dashboard.geo import distance_km
from dashboard.geocode import geocode, needing_review, one_edit_apart, resolve


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Sāmarrā’", "samarra"),  # curly apostrophe, macrons
        ("Al Fallūjah", "fallujah"),
        ("al-Qa'im", "qaim"),
        ("Deir ez-Zor", "deir ez zor"),
        ("Mocímboa da Praia", "mocimboa da praia"),
        ("  KABUL  ", "kabul"),
        ("Alexandria", "alexandria"),  # "al" only as a separate word
    ],
)
def test_normalize_name(text, key):
    assert normalize_name(text) == key


def test_split_type_word():
    assert split_type_word("nineveh governorate") == ("nineveh", "admin1")
    assert split_type_word("fallujah town") == ("fallujah", "place")
    assert split_type_word("state") == ("state", None)  # nothing left: not a type word


@pytest.mark.parametrize(
    ("key", "split"),
    [
        ("qada al fallujah", ("fallujah", None)),  # UCDP adm_2: leading Arabic type word
        ("markaz rif dimashq district", ("rif dimashq", None)),  # leading and trailing
        ("muhafazat ninawa", ("ninawa", "admin1")),
        ("markaz", ("markaz", None)),  # nothing left: not a type word
        ("bajaur agency", ("bajaur", None)),
    ],
)
def test_split_type_word_table(key, split):
    assert split_type_word(key) == split


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("hawija", "hawijah", True),  # trailing h after a vowel
        ("tarmia", "tarmiyah", True),  # -iya / -ia
        ("mukdadiyya", "muqdadiya", True),  # q/k, doubled letters
        ("abu kamal", "abukamal", True),  # spaces
        ("mosul", "masul", False),  # a differing a/o is a different name
        ("gao", "gau", False),  # under four letters: never trusted ("" == "")
    ],
)
def test_loose_key(first, second, same):
    assert (loose_key(first) == loose_key(second) != "") is same


# (place text, row's country code, expected country, precision, expected point or None)
CASES = [
    ("Mosul", "IQ", "IQ", "place", (36.34, 43.12)),
    ("Mosul", None, "IQ", "place", (36.34, 43.12)),
    ("Mossoul", None, "IQ", "place", (36.34, 43.12)),  # French spelling, an alternate name
    ("Kabul", "AF", "AF", "place", (34.53, 69.17)),
    ("Al Fallūjah town", "IQ", "IQ", "place", (33.35, 43.78)),
    ("Kirkuk", "IQ", "IQ", "place", (35.47, 44.39)),  # the city, not the governorate
    ("Gao", "ML", "ML", "place", (16.27, -0.04)),  # not the governorate, not Gao in BF
    ("Ménaka, Mali", None, "ML", "place", (15.92, 2.40)),  # hint from the text
    # A town of a region's name outside it is not the region's own town: the Mexican state,
    # not a village Quintana Roo in Baja California, Chiapas or Yucatán.
    ("Quintana Roo, Mexico", None, "MX", "admin1", (19.67, -88.50)),
    # Outside the outline of the province of its name, yet a city called so: the city.
    ("Buenos Aires, Argentina", None, "AR", "place", (-34.61, -58.38)),
    # No outlines for the United States: California, Maryland is far from the state's point.
    ("California, United States", None, "US", "admin1", (36.70, -118.76)),
    ("Palma", "MZ", "MZ", "place", (-10.77, 40.47)),  # hand-kept: not Palma de Mallorca
    # The text names the district: placed by its town, at the district's precision.
    ("Palma District, Mozambique", None, "MZ", "admin2", (-10.77, 40.47)),
    ("Cabo Delgado", "MZ", "MZ", "admin1", None),
    ("Borno", "NG", "NG", "admin1", None),
    ("Niger", "NG", "NG", "admin1", None),  # Niger State in a Nigerian row
    ("Niger", None, "NE", "country", None),  # with no hint, the country
    ("Nigeria", "NG", "NG", "country", None),
    ("Nowhere-on-earth-xyz", "NE", "NE", "country", None),  # falls back to the country
    ("Kobane/Ayn al Arab town", "SY", "SY", "place", (36.89, 38.35)),  # alternatives
    ("Al-Rai town (Choban Bey)", "SY", "SY", "place", (36.60, 37.50)),  # a bracketed one
    ("Sayyeda Zeinab town", "SY", "SY", "place", (33.44, 36.34)),  # vowels differ: skeleton
    ("Tal Tamr", "SY", "SY", "place", (36.66, 40.37)),  # GeoNames writes "Tall Tamr"
    ("Al Hawijah", "IQ", "IQ", "place", (35.33, 43.77)),
    ("Hawija, Iraq", None, "IQ", "place", (35.33, 43.77)),  # the town, spelled Al Ḩawījah
    ("Hawija District, Iraq", None, "IQ", "admin2", (35.33, 43.77)),
    ("Baghdad Iraq", None, "IQ", "place", (33.34, 44.40)),  # a country without a comma
    ("near Kidal", "ML", "ML", "place", (18.44, 1.41)),  # qualifier dropped
    ("northern Iraq", None, "IQ", "country", None),
    ("Karbala and Ramadi", "IQ", "IQ", "place", (32.62, 44.02)),  # the first place named
    ("North Waziristan", "PK", "PK", "admin2", (33.00, 70.07)),  # GeoNames district
    ("Şalāḩ ad Dīn province", "IQ", "IQ", "admin1", (34.38, 43.64)),  # GeoNames spelling
    ("North Kivu, Democratic Republic of Congo", None, "CD", "admin1", (-0.56, 28.71)),
    ("Gajiganna village", "NG", "NG", "place", (12.26, 13.11)),  # OpenStreetMap village
    ("Bulawayo, Rhodesia", None, "ZW", "place", (-20.15, 28.58)),  # a former name
    # A country named before an article's title: London in England, not in Ontario.
    ("London, United Kingdom, 1984 Heathrow Airport bombing", None, "GB", "place",
     (51.51, -0.13)),
    ("Tagkawayan, Phillippines", None, "PH", "country", None),  # a country misspelled
    # Called so, before a bigger namesake that has the name only as an alternate.
    ("Bristol", "US", "US", "place", (41.67, -72.95)),  # not Independence, Missouri
    ("Amaravati", "IN", "IN", "place", (16.51, 80.52)),  # not Amravati, Maharashtra
]


@pytest.mark.parametrize(("place", "hint", "country", "precision", "point"), CASES)
def test_resolve(place, hint, country, precision, point):
    gazetteer = load_gazetteer()
    query = pd.DataFrame({"place": [place], "admin2": [None], "admin1": [None],
                          "country_code": [hint]}, dtype="string")
    result = resolve(query, gazetteer).iloc[0]
    assert result["geo_precision"] == precision
    assert result["geo_method"] == "gazetteer"
    assert result["found_country_code"] == country
    if precision == "country":
        expected = gazetteer.countries.set_index("country_code").loc[country]
        assert (result["latitude"], result["longitude"]) == (expected["latitude"],
                                                             expected["longitude"])
    if point:
        assert distance_km(result["latitude"], result["longitude"], *point) < 10


def unplaced(places: list, codes: list, countries: list) -> pd.DataFrame:
    """Rows without coordinates, as the loader hands them to `geocode`."""
    count = len(places)
    return pd.DataFrame({
        "place": places, "admin2": [None] * count, "admin1": [None] * count,
        "country_code": codes, "country": countries,
        "latitude": [float("nan")] * count, "longitude": [float("nan")] * count,
        "geo_precision": pd.Categorical([None] * count),
        "geo_method": pd.Categorical([None] * count), "geo_ambiguous": [False] * count,
    }).astype({"place": "string", "admin2": "string", "admin1": "string",
               "country_code": "string", "country": "string"})


def test_unknown_place_without_country_is_unresolved_and_kept():
    incidents = unplaced(["Xyzzy-not-a-place", "Mosul"], [None, "IQ"], [None, "Iraq"])
    out = geocode(incidents, load_gazetteer())
    assert len(out) == 2
    assert out["geo_precision"].tolist() == ["unresolved", "place"]
    assert pd.isna(out["latitude"][0])
    assert pd.isna(out["geo_method"][0])


def test_source_coordinates_are_kept():
    incidents = pd.DataFrame({
        "place": ["Mosul"], "admin2": [None], "admin1": [None], "country_code": ["IQ"],
        "country": ["Iraq"],
        "latitude": [36.0], "longitude": [43.0], "geo_precision": ["exact"],
        "geo_method": ["source"], "geo_ambiguous": [False],
    }).astype({"place": "string", "admin2": "string", "admin1": "string",
               "country_code": "string", "country": "string"})
    out = geocode(incidents, load_gazetteer())
    assert out.iloc[0][["latitude", "longitude", "geo_method"]].tolist() == [36.0, 43.0, "source"]


def query(place, admin2=None, admin1=None, country_code=None) -> pd.DataFrame:
    return pd.DataFrame({"place": [place], "admin2": [admin2], "admin1": [admin1],
                         "country_code": [country_code]}, dtype="string")


@pytest.mark.parametrize(
    ("place", "hint", "ambiguous"),
    [
        ("Gao", None, True),  # a town in Mali and one in Burkina Faso
        ("Palma", None, True),  # Mallorca, Brazil, Mexico...
        ("Gao", "ML", False),  # the row's country decides
        ("Mosul", None, False),
        ("Niger", None, False),  # the country outranks the Nigerian state
    ],
)
def test_ambiguity_is_flagged_only_without_a_deciding_hint(place, hint, ambiguous):
    result = resolve(query(place, country_code=hint), load_gazetteer()).iloc[0]
    assert bool(result["geo_ambiguous"]) is ambiguous


@pytest.mark.parametrize(
    ("place", "hint", "district"),
    [
        ("Adavi LGA", "NG", "Adavi"),  # placed at the district the text names
        ("Qada Balad Ruz", "IQ", "Qada Balad Ruz"),  # as the gazetteer names it
        ("Maiduguri", "NG", None),  # a town: the gazetteer knows not its district
        ("Bama LGA", "NG", None),  # the town of Bama outranks its district
        ("Grey", None, None),  # districts of several countries, none chosen
    ],
)
def test_the_district_a_row_is_placed_at_comes_out_with_its_name(place, hint, district):
    result = resolve(query(place, country_code=hint), load_gazetteer()).iloc[0]
    found = result["found_district"]
    assert (None if pd.isna(found) else found) == district


def test_a_missing_village_falls_back_to_its_district_then_region():
    gazetteer = load_gazetteer()
    district = resolve(query("Xyzzy village", "Bama lga", "Borno state", "NG"), gazetteer)
    assert district.iloc[0]["geo_precision"] == "admin2"
    point = district.iloc[0]
    assert distance_km(point["latitude"], point["longitude"], 11.52, 13.69) < 10
    region = resolve(query("Xyzzy village", None, "Borno state", "NG"), gazetteer)
    assert region.iloc[0]["geo_precision"] == "admin1"


def test_the_rows_region_picks_among_same_named_towns():
    # Several Nigerian towns are called Banki; a row in Borno means the one in Borno.
    gazetteer = load_gazetteer()
    in_borno = resolve(query("Banki town", None, "Borno state", "NG"), gazetteer).iloc[0]
    borno = gazetteer.entries.query("key == 'borno' and kind == 'admin1'").iloc[0]
    assert distance_km(in_borno["latitude"], in_borno["longitude"], borno["latitude"],
                       borno["longitude"]) < 300


@pytest.mark.parametrize(
    ("row", "precision", "point"),
    [
        # A village the gazetteer lacks, in a district named the Arabic way: the district.
        (("Xyzzy village", "Qaḑā’ Balad", "Şalāḩ ad Dīn province", "IQ"), "admin2",
         (34.01, 44.15)),
        # Mosul is 400 km from Basra: the row's region says another place is meant.
        (("Mosul", None, "Basra governorate", "IQ"), "admin1", (30.50, 47.81)),
        # The district matching exactly does not keep the place from matching by vowels.
        (("Sayyeda Zeinab town", "Markaz Rif Dimashq district", "Rif Dimashq governorate",
          "SY"), "place", (33.44, 36.34)),
    ],
)
def test_the_rows_district_and_region_constrain_the_place(row, precision, point):
    result = resolve(query(*row), load_gazetteer()).iloc[0]
    assert result["geo_precision"] == precision
    assert distance_km(result["latitude"], result["longitude"], *point) < 10


def test_the_rows_district_picks_among_same_named_villages():
    # Nigeria has dozens of Sabon Garis; within Borno the biggest is 190 km from Damboa,
    # so a row in Damboa LGA means a nearer one.
    gazetteer = load_gazetteer()
    in_damboa = resolve(query("Sabon Gari village", "Damboa lga", "Borno state", "NG"),
                        gazetteer).iloc[0]
    assert distance_km(in_damboa["latitude"], in_damboa["longitude"], 11.155, 12.756) < 100
    # Without the district, some other Sabon Gari of Borno: one of many the row cannot
    # tell apart, so flagged for review.
    in_borno = resolve(query("Sabon Gari village", None, "Borno state", "NG"), gazetteer).iloc[0]
    assert distance_km(in_borno["latitude"], in_borno["longitude"], 11.155, 12.756) > 25
    assert in_borno["geo_ambiguous"]


def nearest_entry(gazetteer, key, country_code, point):
    """The gazetteer's entry for a key nearest a point: what a row there should get."""
    found = gazetteer.entries.query("key == @key and country_code == @country_code")
    return found.iloc[min(range(len(found)), key=lambda i: distance_km(
        found["latitude"].iloc[i], found["longitude"].iloc[i], *point))]


@pytest.mark.parametrize(
    ("row", "precision", "key"),
    [
        # Nine Ajiris in Borno, none with a population: the one nearest Mafa's town.
        (("Ajiri village", "Mafa lga", "Borno state", "NG"), "place", "ajiri"),
        # Every "Shettimari" lies 60+ km from Kaga's town; "Shittimari" inside the district.
        (("Shettimari village", "Kaga lga", "Borno state", "NG"), "place", "shittimari"),
        # Matches nothing, however spelled; Buni Yadi is one letter off, in Gujba LGA.
        (("Buni Yada town", "Gujba lga", "Yobe state", "NG"), "place", "buni yadi"),
        # The gazetteer knows Bade LGA only as a village 290 km from Gashua, its seat.
        (("Gashua town", "Bade lga", "Yobe state", "NG"), "place", "gashua"),
        # The only Umenger is 139 km from Guma's town: another village; the district.
        (("Umenger village", "Guma lga", "Benue state", "NG"), "admin2", "guma"),
        # A district found as a district outweighs a big town 250 km away (Husaybah on
        # the Syrian border is not the Husaybah near Ramadi).
        (("Husaybah town", "Qaḑā’ ar Ramādī", "Al Anbār province", "IQ"), "admin2", "ramadi"),
        # Too short to trust a name one letter off: the district, not a neighbour.
        (("Wala village", "Gwoza lga", "Borno state", "NG"), "admin2", "gwoza"),
    ],
)
def test_the_rows_district_picks_the_namesake_or_stands_in(row, precision, key):
    gazetteer = load_gazetteer()
    district = resolve(query("Xyzzy village", *row[1:]), gazetteer).iloc[0]
    result = resolve(query(*row), gazetteer).iloc[0]
    expected = nearest_entry(gazetteer, key, row[3], (district["latitude"],
                                                      district["longitude"]))
    assert result["geo_precision"] == precision
    assert distance_km(result["latitude"], result["longitude"], expected["latitude"],
                       expected["longitude"]) < 1


def test_a_near_spelling_needs_the_rows_district():
    # Across Yobe a letter's difference is another place: without the district, the region.
    result = resolve(query("Buni Yada town", None, "Yobe state", "NG"), load_gazetteer())
    assert result.iloc[0]["geo_precision"] == "admin1"


def test_distance_km_takes_numbers_arrays_and_series():
    # A degree of latitude is about 111.2 km anywhere; a missing point has no distance.
    assert distance_km(0, 0, 1, 0) == pytest.approx(111.19, abs=0.01)
    assert distance_km(51.5, -0.13, 48.86, 2.35) == pytest.approx(343, abs=1)  # London-Paris
    index = [5, 7]
    series = distance_km(pd.Series([0.0, None], index=index), pd.Series([0.0, 0.0], index=index),
                         0.0, 1.0)
    assert list(series.index) == [5, 7]
    assert series[5] == pytest.approx(111.19, abs=0.01)
    assert pd.isna(series[7])


@pytest.mark.parametrize(
    ("first", "second", "apart"),
    [
        ("buni yada", "buni yadi", True),  # changed
        ("huyim", "huyum", True),
        ("dusula", "dusla", True),  # dropped
        ("dusla", "dusula", True),  # added
        ("buni yada", "buni yada", False),  # the same is not one letter off
        ("izge", "izzige", False),  # two letters
        ("abc", "", False),
    ],
)
def test_one_edit_apart(first, second, apart):
    assert one_edit_apart(first, second) is apart


# Baga on Lake Chad, as data/gazetteer_additions.csv keeps it; OpenStreetMap and GeoNames
# also hold a Baga in Sokoto State and one 65 km south of the lake, none with a population.
LAKE_CHAD_BAGA = (13.117, 13.833)


def incidents(rows: list[tuple]) -> pd.DataFrame:
    """Rows with no point yet: (place, admin2, admin1, country_code)."""
    frame = pd.DataFrame(rows, columns=["place", "admin2", "admin1", "country_code"])
    return frame.assign(
        event_id=[f"e{i}" for i in range(len(frame))], country=None,
        latitude=float("nan"), longitude=float("nan"),
        geo_precision=pd.Categorical([None] * len(frame)),
        geo_method=pd.Categorical([None] * len(frame)), geo_ambiguous=False,
    ).astype({"place": "string", "admin2": "string", "admin1": "string",
              "country_code": "string", "country": "string"})


@pytest.mark.parametrize(
    ("row", "point"),
    [
        (("Baga", None, None, "NG"), LAKE_CHAD_BAGA),  # nothing else in the row
        (("Baga", None, "Borno", "NG"), LAKE_CHAD_BAGA),  # two Bagas in Borno: the kept one
        (("Baga, Nigeria", None, None, None), LAKE_CHAD_BAGA),
        # The row's region points elsewhere: the Baga in Sokoto State, not the kept one.
        (("Baga", None, "Sokoto", "NG"), (13.026, 5.173)),
    ],
)
def test_a_hand_kept_addition_is_not_outranked_by_bulk_namesakes(row, point):
    result = resolve(query(*row), load_gazetteer()).iloc[0]
    assert result["geo_precision"] == "place"
    assert not result["geo_ambiguous"]
    assert distance_km(result["latitude"], result["longitude"], *point) < 5


@pytest.mark.parametrize(
    ("row", "ambiguous"),
    [
        # Two Bankis in Borno 47 km apart: a town of 5,000 and an OpenStreetMap village.
        (("Banki", None, None, "NG"), True),
        (("Banki, Nigeria", None, None, None), True),
        # The row's district decides: the Banki in Bama LGA.
        (("Banki", "Bama", "Borno", "NG"), False),
        # Pittsburg, California has "Pittsburgh" only as an alternate name.
        (("Pittsburgh", None, None, "US"), False),
        # A town of 14,000 is not made doubtful by a settlement of its name in Maiduguri.
        (("Dapchi", None, None, "NG"), False),
    ],
)
def test_namesakes_in_one_country_that_the_row_cannot_tell_apart_are_ambiguous(row,
                                                                                 ambiguous):
    gazetteer = load_gazetteer()
    placed = geocode(incidents([row]), gazetteer)
    assert bool(placed["geo_ambiguous"].iloc[0]) is ambiguous
    review = needing_review(placed, gazetteer)
    assert (row[0] in review["place"].tolist()) is ambiguous
    # The country is certain even when the town is not: it is still learned.
    assert placed["country_code"].iloc[0] == (row[3] or "NG")


@pytest.mark.parametrize(
    ("place", "country", "precision", "point"),
    [
        ("Belfast, Northern Ireland", "GB", "place", (54.60, -5.93)),
        ("Derry, Northern Ireland", "GB", "place", (55.00, -7.31)),
        ("Xyzzy, Northern Ireland", "GB", "admin1", None),  # the region, not Ireland
        ("Northern Ireland", "GB", "admin1", None),  # holds a country's name; is none
        ("Glasgow, Scotland", "GB", "place", (55.86, -4.26)),
        ("Hebron, West Bank", "PS", "place", (31.53, 35.09)),
        ("Gaza City, Gaza Strip", "PS", "place", (31.50, 34.47)),
        ("Laayoune, Western Sahara", "EH", "place", (27.14, -13.19)),
        ("Grozny, Chechnya", "RU", "place", (43.31, 45.69)),
        ("Lake Chad", "TD", "place", (13.0, 14.0)),  # not "Lake" in Chad
        ("Ciudad de Guatemala, Guatemala", "GT", "place", (14.64, -90.51)),
        # Kashmir and Kurdistan are regions of two countries each: no country at all
        # rather than India's or Iran's.
        ("Xyzzy, Kashmir", None, "admin1", None),
        ("Xyzzy, Kurdistan", None, "admin1", None),
        ("Muzaffarabad, Kashmir", "PK", "place", (34.37, 73.47)),
    ],
)
def test_a_part_naming_a_region_gives_its_country_or_none(place, country, precision, point):
    gazetteer = load_gazetteer()
    placed = geocode(incidents([(place, None, None, None)]), gazetteer).iloc[0]
    assert placed["geo_precision"] == precision
    assert (placed["country_code"] if pd.notna(placed["country_code"]) else None) == country
    assert bool(placed["geo_ambiguous"]) is (country is None)
    if point:
        assert distance_km(placed["latitude"], placed["longitude"], *point) < 10


def test_geocode_command_places_baga_and_belfast(write_csv, tmp_path):
    with_country = write_csv("place,country,admin1\nBaga,Nigeria,Borno\nBaga,Nigeria,\n",
                             "baga.csv")
    without_country = write_csv('place\n"Belfast, Northern Ireland"\n', "belfast.csv")
    for source in (with_country, without_country):
        assert main(["geocode", str(source), "-o", str(tmp_path / source.name)]) == 0
    baga = pd.read_csv(tmp_path / "baga.csv")
    for _, row in baga.iterrows():
        assert row["geo_ambiguous"] or distance_km(row["latitude"], row["longitude"],
                                                   *LAKE_CHAD_BAGA) < 25
    assert distance_km(baga["latitude"][0], baga["longitude"][0], *LAKE_CHAD_BAGA) < 25
    belfast = pd.read_csv(tmp_path / "belfast.csv").iloc[0]
    assert belfast["country"] == "United Kingdom"
    assert distance_km(belfast["latitude"], belfast["longitude"], 54.597, -5.930) < 25


def test_every_country_the_gazetteer_names_has_a_point_and_a_name():
    # GeoNames calls PS "Palestinian Territory"; its spellings' keys lose the type word
    # ("palestinian"), so no key was the canonical name's and PS had no country point: a
    # row naming only Palestine was left off the map.
    gazetteer = load_gazetteer()
    named = set(gazetteer.entries.loc[gazetteer.entries["kind"] == "country",
                                      "country_code"].astype(str))
    assert named == set(gazetteer.countries["country_code"])
    assert gazetteer.country_code("Palestinian Territory") == "PS"
    assert gazetteer.country_code("British Indian Ocean Territory") == "IO"
    assert gazetteer.country_name("PS") == "Palestinian Territory"


def test_a_row_naming_only_palestine_is_placed_at_its_country():
    incidents = unplaced([None, None], ["PS", "NG"], ["Palestine", "Nigeria"])
    out = geocode(incidents, load_gazetteer())
    assert out["geo_precision"].tolist() == ["country", "country"]
    assert distance_km(out["latitude"][0], out["longitude"][0], 31.9, 35.2) < 1


def test_a_loose_spelling_with_no_country_to_keep_it_near_is_no_match():
    # "Wardigleey district" (Somalia) once matched Weakley County, Tennessee, by its
    # consonants, and was drawn there.
    query = pd.DataFrame({"place": ["Wardigleey district and Galmudug"], "admin2": [None],
                          "admin1": [None], "country_code": [None]}, dtype="string")
    result = resolve(query, load_gazetteer()).iloc[0]
    assert pd.isna(result["latitude"])
    assert pd.isna(result["geo_precision"])  # `place_offline` calls it unresolved
