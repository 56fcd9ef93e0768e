import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from dashboard.gazetteer import load_gazetteer
from dashboard.schema import (
    REASON_HXL,
    REASON_NO_DATE,
    columns_by_key,
    detect_layout,
    normalize,
    parse_counts,
    pick_columns,
)

from conftest import SHARED_DATA, needs_shared_data


def run(frame: pd.DataFrame, **kwargs):
    gazetteer = load_gazetteer()
    raw = frame.astype("string").fillna("")
    return normalize(raw, "custom", gazetteer.country_code, gazetteer.country_name, **kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13", 13),
        ("13+", 13),
        ("26  (+2 terrorists)", 26),  # Wikipedia list: attackers in brackets
        ("c. 40", 40),
        ("0", 0),
        ("Unknown", None),  # missing, not rejected
        ("", None),
    ],
)
def test_parse_counts(text, expected):
    parsed = parse_counts(pd.Series([text], dtype="string"))[0]
    assert (None if pd.isna(parsed) else int(parsed)) == expected


@pytest.mark.parametrize(
    ("columns", "layout"),
    [
        (["event_id_cnty", "event_date", "geo_precision", "location"], "acled"),
        (["EVENT_ID_CNTY", "EVENT_DATE", "GEO_PRECISION"], "acled"),  # upper-case export
        (["id", "date_start", "where_prec", "best", "where_coordinates"], "ucdp"),
        (["eventid", "iyear", "imonth", "iday", "city"], "gtd"),
        (["date", "country", "place"], "generic"),
    ],
)
def test_detect_layout(columns, layout):
    assert detect_layout(pd.Index(columns)) == layout


def test_every_row_is_accepted_or_rejected_with_a_reason():
    frame = pd.DataFrame({
        "date": ["#date", "2021-06-12", "not a date", "2020-01-01"],
        "country": ["#country+name", "Afghanistan", "Iraq", "DRC"],
        "place": ["#loc+name", "Kabul", "Mosul", "Beni"],
        "latitude": ["#geo+lat", "", "", "0"],
        "longitude": ["#geo+lon", "", "", "0"],
    })
    table = run(frame)
    assert table.rows_in == 4
    assert len(table.accepted) == 2
    assert table.rejected["reason"].tolist() == [REASON_HXL, REASON_NO_DATE]
    assert table.rejected["row"].tolist() == [1, 3]
    # (0, 0) is how many exports write "unknown", not a point in the Gulf of Guinea.
    assert table.accepted["latitude"].isna().all()


def test_canonical_values():
    frame = pd.DataFrame({
        "Date": ["2016-07-03", "2016-07-03"],
        "Country": ["syrian arab republic", "Congo, Democratic Republic of the"],
        "Location": ["Raqqa", "Beni"],
        "Deaths": ["13+", "Unknown"],
        "URL": ["javascript:alert(1)", "https://example.org/a"],
        "extra_field": ["kept", "too"],
    })
    accepted = run(frame).accepted
    assert accepted["country"].tolist() == ["Syria", "Democratic Republic of the Congo"]
    assert accepted["country_code"].tolist() == ["SY", "CD"]
    assert accepted["fatalities"].tolist()[0] == 13
    assert pd.isna(accepted["fatalities"].tolist()[1])
    assert pd.isna(accepted["source_url"][0])  # only http(s) links survive
    assert accepted["source_url"][1] == "https://example.org/a"
    assert accepted["extra_field"].tolist() == ["kept", "too"]  # travels along
    assert accepted["event_id"].str.match(r"^h[0-9a-f]{16}$").all()
    assert accepted["event_id"].nunique() == 2


def test_generated_ids_are_stable_across_processes():
    frame = pd.DataFrame({"date": ["2021-01-01", "2021-01-01"], "place": ["Gao", "Gao"]})
    ids = run(frame).accepted["event_id"].tolist()
    assert ids[1] == ids[0] + "-2"  # the same cells twice: still two ids
    script = ("import pandas as pd; from dashboard.schema import row_hashes; "
              "print(row_hashes(pd.DataFrame({'date': ['2021-01-01'], 'place': ['Gao']}, "
              "dtype='string'))[0])")
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": "12345"}, check=True)
    assert other.stdout.strip() == ids[0]


def test_gtd_dates_with_unknown_day_and_source_coordinates():
    frame = pd.DataFrame({
        "eventid": ["201401010001", "201406000002"], "iyear": ["2014", "2014"],
        "imonth": ["1", "6"], "iday": ["1", "0"], "country_txt": ["Iraq", "Iraq"],
        "city": ["Fallujah", "Mosul"], "latitude": ["33.35", ""],
        "longitude": ["43.78", ""], "specificity": ["1", "5"],
    })
    accepted = run(frame).accepted
    assert accepted["date"].dt.strftime("%Y-%m-%d").tolist() == ["2014-01-01", "2014-06-01"]
    assert accepted["geo_precision"].tolist()[0] == "exact"
    assert accepted["geo_method"].tolist()[0] == "source"


def test_user_mapping_overrides_synonyms():
    frame = pd.DataFrame({"date": ["2021-01-01"], "Ort": ["Gao"], "place": ["ignored"]})
    assert run(frame, mapping={"place": "Ort"}).accepted["place"][0] == "Gao"


def test_row_flags_say_what_was_changed_and_keep_the_row():
    frame = pd.DataFrame({
        "id": ["a", "a", "b", "c"],
        "date": ["2021-01-01"] * 4,
        "country": ["Iraq"] * 4,
        "place": ["Mosul"] * 4,
        "lat": ["36.3", "200", "43.1", "36.3"],  # 200: out of range; 43.1/36.3: swapped?
        "lon": ["43.1", "43.1", "136.3", "43.1"],
        "url": ["", "", "ftp://x", "https://ok.example"],
    })
    accepted = run(frame).accepted
    assert len(accepted) == 4
    flags = accepted["flags"].fillna("").tolist()
    assert flags[0] == "duplicate event_id"
    assert flags[1] == "coordinates out of range, dropped; duplicate event_id"
    assert flags[2] == "source_url dropped: not an http(s) link"
    assert flags[3] == ""
    assert accepted["latitude"].isna().tolist() == [False, True, False, False]
    # Counted twice, so said once for the whole table too, not only in a row's flags.
    assert run(frame).warnings == ('2 rows share an event_id with another row (1 event_id, '
                                   'such as "a"): each row is kept and counted, flagged '
                                   '"duplicate event_id". If they are one event entered '
                                   'twice, remove the copies from the file.',)


def test_lat_over_90_with_a_plausible_longitude_is_flagged_swapped():
    frame = pd.DataFrame({"date": ["2021-01-01"], "place": ["Kabul"], "latitude": ["69.2"],
                          "longitude": ["34.5"]})
    frame.loc[0, "latitude"] = "169.2"  # |lat| > 90 but |lon| <= 90
    accepted = run(frame).accepted
    assert accepted["flags"][0] == "latitude and longitude look swapped, dropped"
    assert pd.isna(accepted["latitude"][0])


def test_over_long_cells_are_refused_with_a_reason():
    frame = pd.DataFrame({"date": ["2021-01-01", "2021-01-02"],
                          "notes": ["x" * 10_001, "fine"]})
    table = run(frame)
    assert table.rejected["reason"].tolist() == ["a cell is longer than 10,000 characters"]
    assert table.accepted["notes"].tolist() == ["fine"]


def test_date_range_and_precision_columns():
    frame = pd.DataFrame({"date": ["March 14-15 2005", "June 2021", "2014"]})
    accepted = run(frame).accepted
    assert accepted["date_end"].dt.strftime("%Y-%m-%d").fillna("").tolist() == [
        "2005-03-15", "", ""]
    assert accepted["date_precision"].tolist() == ["day", "month", "year"]


def test_ambiguous_day_month_order_is_a_warning_on_the_table():
    table = run(pd.DataFrame({"date": ["03/04/2021", "05/06/2021"]}))
    assert len(table.accepted) == 2
    assert "day/month" in table.warnings[0]


def test_an_impossible_date_is_rejected_with_its_reason_not_a_day_month_warning():
    # The QA file: ISO dates and one date that is no date in either order.
    table = run(pd.DataFrame({"date": ["2020-03-01", "2020-03-02", "32/13/2020"],
                              "place": ["Mosul", "Baghdad", "Tikrit"]}))
    assert len(table.accepted) == 2
    rejected = table.rejected.iloc[0]
    assert (rejected["row"], rejected["date"], rejected["reason"]) == (
        3, "32/13/2020", REASON_NO_DATE)
    assert table.warnings == ()


def test_ucdp_end_dates_come_from_their_own_column():
    frame = pd.DataFrame({"id": ["1"], "date_start": ["2016-07-03"], "date_end": ["2016-07-05"],
                          "where_prec": ["1"], "best": ["3"]})
    accepted = run(frame).accepted
    assert accepted["date_end"][0].strftime("%Y-%m-%d") == "2016-07-05"


def test_malformed_lines_become_rejected_rows_with_every_cell():
    from dashboard.sources import read_table

    raw = read_table(b"date,place\n2021-01-01,Gao\n2021-01-02,Mosul,extra,cells\n", "x.csv")
    table = run(raw.frame, malformed=raw.malformed)
    assert (table.rows_in, len(table.accepted), len(table.rejected)) == (2, 1, 1)
    rejected = table.rejected.iloc[0]
    assert rejected["reason"] == "row has 4 cells; the header has 2"
    assert rejected["place"] == "Mosul,extra,cells"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234", 1234),
        ("1 234", 1234),
        ("at least 30", 30),
        ("more than 100", 100),
        ("1.5e3", None),  # not a count anyone writes
        ("99999999999999999999999", None),  # an overflow, not a death toll
        ("+5", 5),  # a plus sign is a count
        ("5.0", 5),  # a spreadsheet's whole number
        (">21", 21),  # as "more than 21"
        ("≈30", 30),  # as "~30"
        ("3.7", None),  # no one is 0.7 killed
        ("-1", None),  # how some datasets write "unknown"
        ("five", None),
    ],
)
def test_parse_counts_more_forms(text, expected):
    parsed = parse_counts(pd.Series([text], dtype="string"))[0]
    assert (None if pd.isna(parsed) else int(parsed)) == expected


def test_fatalities_not_read_are_flagged_and_warned_and_the_rows_kept():
    # The QA file, plus the ways of saying "unknown" that are no surprise.
    frame = pd.DataFrame({
        "date": ["2020-03-01", "2020-03-02", "2020-03-03", "2020-03-04", "2020-03-05",
                 "2020-03-06", "2020-03-07", "2020-03-08"],
        "place": ["Mosul", "Baghdad", "Tikrit", "Kirkuk", "Basra", "Erbil", "Najaf", "Hit"],
        "fatalities": ["+5", "~3", "five", "-1", "3.7", "Unknown", "", "five"],
    })
    table = run(frame)
    accepted = table.accepted
    assert len(accepted) == 8  # an unreadable toll is no reason to lose the incident
    assert accepted["fatalities"].tolist()[:2] == [5, 3]
    assert accepted["fatalities"][2:].isna().all()
    assert accepted["flags"].fillna("").tolist() == [
        "", "", 'fatalities not read as a count: "five"', 'fatalities not read as a count: "-1"',
        'fatalities not read as a count: "3.7"', "", "", 'fatalities not read as a count: "five"']
    assert table.warnings == (
        '4 fatality values could not be read as a count ("five", "-1", "3.7"): each such '
        "row is kept, with fatalities unknown, and adds nothing to fatality totals; its flags "
        "column quotes the cell. Write a whole number, such as 5, for it to count.",)


def test_the_fatality_warning_counts_only_rows_that_were_loaded():
    frame = pd.DataFrame({"date": ["#date", "2020-03-01", "someday", "2020-03-03"],
                          "country": ["#country", "Iraq", "Iraq", "Iraq"],
                          "place": ["#loc", "Mosul", "Tikrit", "Hit"],
                          "best": ["#affected+killed", "1", "five", "dozens"]})
    table = run(frame)
    assert table.warnings == (
        '1 fatality value could not be read as a count ("dozens"): each such row is kept, '
        "with fatalities unknown, and adds nothing to fatality totals; its flags column "
        "quotes the cell. Write a whole number, such as 5, for it to count.",)


def test_decimal_comma_coordinates_are_kept():
    frame = pd.DataFrame({"date": ["2021-01-01"], "place": ["Mosul"], "lat": ["36,34"],
                          "lon": ["43,13"]})
    accepted = run(frame).accepted
    assert (accepted["latitude"][0], accepted["longitude"][0]) == (36.34, 43.13)
    assert accepted["geo_method"][0] == "source"


def test_gtd_country_is_the_name_not_the_code():
    frame = pd.DataFrame({"eventid": ["1"], "iyear": ["2014"], "imonth": ["6"], "iday": ["10"],
                          "country": ["95"], "country_txt": ["Iraq"], "city": ["Mosul"]})
    accepted = run(frame).accepted
    assert (accepted["country"][0], accepted["place"][0]) == ("Iraq", "Mosul")


def test_a_gtd_table_without_its_date_columns_says_so():
    from dashboard.sources import LoaderError

    frame = pd.DataFrame({"eventid": ["1"], "IYEAR": ["2014"]})
    with pytest.raises(LoaderError, match="imonth, iday missing"):
        run(frame)


def test_repeated_column_names_are_refused():
    from dashboard.sources import LoaderError

    frame = pd.DataFrame([["2021-01-01", "x", "Gao"]], columns=["date", "date ", "place"])
    with pytest.raises(LoaderError, match="appears twice"):
        run(frame)


def test_a_re_imported_export_keeps_how_points_were_found():
    frame = pd.DataFrame({"date": ["2021-01-01"], "place": ["Gao"], "latitude": ["16.27"],
                          "longitude": ["-0.04"], "geo_precision": ["admin1"],
                          "geo_method": ["gazetteer"]})
    accepted = run(frame).accepted
    assert (accepted["geo_precision"][0], accepted["geo_method"][0]) == ("admin1", "gazetteer")


def test_a_displaced_column_travels_renamed():
    frame = pd.DataFrame({"date": ["2021-01-01"], "Ort": ["Gao"], "place": ["old text"]})
    accepted = run(frame, mapping={"place": "Ort"}).accepted
    assert accepted["place"][0] == "Gao"
    assert accepted["place_source"][0] == "old text"


def test_columns_named_like_ours_are_kept_apart_not_overwritten():
    frame = pd.DataFrame({"date": ["2021-01-01", "nope"], "Ort": ["Gao", "Kidal"],
                          "place": ["old", "older"], "place_source": ["x", "y"],
                          "source_file": ["theirs", "theirs"], "reason": ["r1", "r2"],
                          "row": ["7", "8"]})
    table = run(frame, mapping={"place": "Ort"})
    accepted = table.accepted
    assert accepted.columns.is_unique
    # The file's own place_source keeps its name; its displaced place takes the next.
    assert accepted.loc[0, ["place", "place_source", "place_source_source",
                            "source_file_source"]].tolist() == ["Gao", "x", "old", "theirs"]
    rejected = table.rejected
    assert rejected.columns.is_unique
    assert rejected.loc[0, ["reason", "reason_source", "row", "row_source"]].tolist() == [
        "date missing or not recognised", "r2", 2, "8"]


# The header lines of the known layouts, as their files and ../shared/data/schemas write
# them (column names only; `test_the_layout_headers_are_the_real_ones` checks them).
LAYOUT_HEADERS = {
    "acled_hdx_2020": (
        "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,"
        "sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,"
        "region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,"
        "source_scale,notes,fatalities,timestamp,iso3"),
    "acled_2023": (
        "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,"
        "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,"
        "civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,"
        "longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp"),
    "ucdp_ged_49": (
        "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,"
        "conflict_new_id,conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,"
        "side_a_new_id,side_a,side_b_dset_id,side_b_new_id,side_b,number_of_sources,"
        "source_article,source_office,source_date,source_headline,source_original,where_prec,"
        "where_coordinates,where_description,adm_1,adm_2,latitude,longitude,geom_wkt,"
        "priogrid_gid,country,country_id,region,event_clarity,date_prec,date_start,date_end,"
        "deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,low,gwnoa,gwnob"),
    "ucdp_ged_iraq_hdx_v19_1.csv": (
        "id,year,active_year,start_year,end_year,type_of_violence,conflict_new_id,"
        "conflict_name,dyad_new_id,dyad_name,side_a_new_id,gwnoa,side_a,side_b_new_id,gwnob,"
        "side_b,number_of_sources,source_article,source_office,source_date,source_headline,"
        "source_original,where_prec,where_coordinates,adm_1,adm_2,latitude,longitude,geom_wkt,"
        "priogrid_gid,country,country_id,iso3,region,event_clarity,date_prec,date_start,"
        "date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,low,best,high"),
    "ucdp_ged_nigeria_hdx_v20_1.csv": (
        ",id,relid,year,start_year,end_year,active_year,code_status,type_of_violence,"
        "conflict_dset_id,conflict_new_id,conflict_name,dyad_dset_id,dyad_new_id,dyad_name,"
        "side_a_dset_id,side_a_new_id,side_a,side_b_dset_id,side_b_new_id,side_b,"
        "number_of_sources,source_article,source_office,source_date,source_headline,"
        "source_original,where_prec,where_coordinates,where_description,adm_1,adm_2,latitude,"
        "iso3,longitude,geom_wkt,priogrid_gid,country,country_id,region,event_clarity,"
        "date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,"
        "high,low,gwnoa,gwnob"),
    "ucdp_ged_syria_IS_2016_part1.csv": (  # the older 41-column layout
        "id,year,active_year,type_of_violence,conflict_new_id,conflict_name,dyad_new_id,"
        "dyad_name,side_a_new_id,side_a,side_b_new_id,gwnob,side_b,number_of_sources,"
        "source_article,source_office,source_date,source_headline,source_original,where_prec,"
        "where_coordinates,adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,"
        "country_id,region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,"
        "deaths_civilians,deaths_unknown,low,best,high"),
    "gtd_2012": (
        "eventid,iyear,imonth,iday,approxdate,extended,resolution,country,country_txt,region,"
        "region_txt,provstate,city,latitude,longitude,specificity,vicinity,location,summary,"
        "crit1,crit2,crit3,doubtterr,alternative,alternative_txt,multiple,success,suicide,"
        "attacktype1,attacktype1_txt,attacktype2,attacktype2_txt,attacktype3,attacktype3_txt,"
        "targtype1,targtype1_txt,corp1,target1,natlty1,natlty1_txt,targtype2,targtype2_txt,"
        "corp2,target2,natlty2,natlty2_txt,targtype3,targtype3_txt,corp3,target3,natlty3,"
        "natlty3_txt,gname,gsubname,gname2,gsubname2,gname3,gsubname3,motive,guncertain1,"
        "guncertain2,guncertain3,nperps,nperpcap,claimed,claimmode,claimmode_txt,claim2,"
        "claimmode2,claimmode2_txt,claim3,claimmode3,claimmode3_txt,compclaim,weaptype1,"
        "weaptype1_txt,weapsubtype1,weapsubtype1_txt,weaptype2,weaptype2_txt,weapsubtype2,"
        "weapsubtype2_txt,weaptype3,weaptype3_txt,weapsubtype3,weapsubtype3_txt,weaptype4,"
        "weaptype4_txt,weapsubtype4,weapsubtype4_txt,weapdetail,nkill,nkillus,nkillter,nwound,"
        "nwoundus,nwoundte,property,propextent,propextent_txt,propvalue,propcomment,ishostkid,"
        "nhostkid,nhostkidus,nhours,ndays,divert,kidhijcountry,ransom,ransomamt,ransomamtus,"
        "ransompaid,ransompaidus,ransomnote,hostkidoutcome,hostkidoutcome_txt,nreleased,"
        "addnotes,scite1,scite2,scite3,dbsource"),
}
ACLED_TEXT = {"event_id": "event_id_cnty", "country": "country", "admin1": "admin1",
              "admin2": "admin2", "place": "location", "actor": "actor1", "target": "actor2",
              "event_type": "event_type", "notes": "notes", "source": "source"}
UCDP_TEXT = {"event_id": "id", "country": "country", "admin1": "adm_1", "admin2": "adm_2",
             "place": "where_coordinates", "actor": "side_a", "target": "side_b",
             "event_type": "type_of_violence", "notes": "source_headline",
             "source": "source_article"}
GTD_TEXT = {"event_id": "eventid", "country": "country_txt", "admin1": "provstate",
            "place": "city", "actor": "gname", "target": "targtype1_txt",
            "event_type": "attacktype1_txt", "notes": "summary", "source": "scite1"}
# layout: (canonical text column -> the file column that fills it, the file columns read
# into the date, coordinates and fatalities, the geo_precision the code "3" means). Every
# canonical text column not listed stays empty; every file column not read travels along.
COVERAGE = {
    "acled_hdx_2020": (ACLED_TEXT, {"event_date", "latitude", "longitude", "fatalities"},
                       "admin1"),
    "acled_2023": (ACLED_TEXT, {"event_date", "latitude", "longitude", "fatalities"},
                   "admin1"),
    **{name: (UCDP_TEXT, {"date_start", "date_end", "latitude", "longitude", "best"}, "admin2")
       for name in LAYOUT_HEADERS if name.startswith("ucdp")},
    "gtd_2012": (GTD_TEXT, {"latitude", "longitude", "nkill"}, "place"),
}
# One row: a column's cell is "<column> text" unless it has to be a date, a number or a
# code; the GTD's `country` is its numeric code, its name is `country_txt`.
CELLS = {"event_date": "2019-03-01", "date_start": "2019-03-01", "date_end": "2019-03-02",
         "iyear": "2019", "imonth": "3", "iday": "1", "latitude": "12.5", "longitude": "13.5",
         "country_txt": "Nigeria", "fatalities": "7", "best": "7", "nkill": "7",
         "geo_precision": "3", "where_prec": "3", "specificity": "3", "type_of_violence": "3"}
DECODED = {"type_of_violence": "One-sided violence"}


def one_row(header: str) -> str:
    """The header and one row of cells, each telling which column it came from."""
    columns = header.split(",")
    country = "147" if "country_txt" in columns else "Nigeria"
    cells = [CELLS.get(c, country if c == "country" else f"{c} text" if c else "0")
             for c in columns]
    return f"{header}\n{','.join(cells)}\n"


@pytest.mark.parametrize("name", COVERAGE)
def test_each_layout_fills_every_canonical_column_it_has_a_counterpart_for(name):
    from dashboard.schema import CANONICAL_COLUMNS, TEXT_COLUMNS
    from dashboard.sources import read_table

    text, read, precision = COVERAGE[name]
    raw = read_table(one_row(LAYOUT_HEADERS[name]).encode(), f"{name}.csv").frame
    row = run(raw).accepted.iloc[0]
    cells = raw.iloc[0]
    filled = {canonical: row[canonical] for canonical in TEXT_COLUMNS
              if canonical not in ("country_code", "dataset", "flags")}
    expected = {canonical: "" for canonical in filled} | {
        canonical: DECODED.get(column, cells[column]) for canonical, column in text.items()}
    assert {c: "" if pd.isna(v) else v for c, v in filled.items()} == expected
    assert (row["date"].strftime("%Y-%m-%d"), row["latitude"], row["longitude"],
            row["fatalities"], row["geo_precision"]) == ("2019-03-01", 12.5, 13.5, 7,
                                                         precision)
    # Columns without a canonical counterpart (ACLED's sub_event_type, UCDP's low and
    # high estimates) travel along unchanged, renamed only where we use the name.
    for column in set(raw.columns) - set(text.values()) - read:
        own = f"{column}_source" if column in CANONICAL_COLUMNS else column
        assert row[own] == cells[column], column


@needs_shared_data
def test_the_layout_headers_are_the_real_ones():
    # COLUMNS.txt wraps its lists over several lines.
    notes = re.sub(r",\s+", ",", (SHARED_DATA / "schemas" / "COLUMNS.txt").read_text())
    files = {"acled_hdx_2020": "schemas/acled_hdx_export_header_and_hxl_row.csv",
             "gtd_2012": "schemas/gtd_2012release_columns.csv",
             **{name: name for name in LAYOUT_HEADERS if name.endswith(".csv")}}
    for name, header in LAYOUT_HEADERS.items():
        if name in files:
            with (SHARED_DATA / files[name]).open(encoding="utf-8", newline="") as file:
                assert file.readline().rstrip("\r\n") == header, name
        else:
            assert header in notes, name


UCDP_FILES = ["ucdp_ged_iraq_hdx_v19_1.csv", "ucdp_ged_nigeria_hdx_v20_1.csv",
              "ucdp_ged_syria_IS_2016_part1.csv", "ucdp_ged_syria_IS_2017_2019_part2.csv"]


@needs_shared_data
@pytest.mark.parametrize("name", UCDP_FILES)
def test_every_ucdp_event_has_its_type_of_violence_by_name(name):
    from dashboard.sources import read_table

    raw = read_table((SHARED_DATA / name).read_bytes(), name)
    accepted = run(raw.frame, malformed=raw.malformed).accepted
    assert len(accepted) > 2000
    assert set(accepted["event_type"]) <= {"State-based conflict", "Non-state conflict",
                                           "One-sided violence"}


@needs_shared_data
def test_the_ucdp_nigeria_export_has_an_event_type_on_every_row(tmp_path):
    from dashboard.cli import main

    out = tmp_path / "nigeria.csv"
    assert main(["export", str(SHARED_DATA / "ucdp_ged_nigeria_hdx_v20_1.csv"), "-o",
                 str(out)]) == 0
    exported = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(exported) == 4603
    assert (exported["event_type"] != "").all()
    assert exported["event_type"].nunique() == 3


def test_a_latitude_without_a_longitude_is_not_a_point_from_the_source():
    # Placed means both coordinates (geo.is_placed): the geocoder, not the file, places it.
    out = run(pd.DataFrame({"date": ["2020-01-01"] * 2, "place": ["Mosul", "Kirkuk"],
                            "latitude": ["36.3", "35.5"], "longitude": ["43.1", ""]})).accepted
    assert out["geo_method"][0] == "source"
    assert pd.isna(out["geo_method"][1])
    assert pd.isna(out["geo_precision"][1])


def test_every_column_lookup_trims_and_ignores_case():
    columns = pd.Index([" Event_Date ", "LAT", "Lon", "where_prec", "BEST"])
    assert columns_by_key(columns) == {"event_date": " Event_Date ", "lat": "LAT",
                                       "lon": "Lon", "where_prec": "where_prec",
                                       "best": "BEST"}
    assert detect_layout(columns) == "ucdp"
    assert pick_columns(columns) == {"date": " Event_Date ", "latitude": "LAT",
                                     "longitude": "Lon", "fatalities": "BEST"}
