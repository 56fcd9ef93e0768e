"""The pipeline as a whole: what it tells the page while it loads."""

from dashboard.dataset import load_path

CSV = """event_id,date,country,place,fatalities,latitude,longitude
a,2021-06-12,Afghanistan,Kabul,7,,
b,2021-03-24,Mozambique,Palma,,-10.78,40.47
c,not a date,Iraq,Mosul,1,,
"""


def test_a_cold_load_says_each_stage_with_its_rows_and_a_warm_one_says_nothing(write_csv):
    path = write_csv(CSV)
    said = []
    load_path(path, progress=lambda stage, done: said.append((stage, done)))
    assert [stage.split()[0] for stage, _ in said] == ["Reading", "Checking", "Placing",
                                                       "Saving"]
    assert said[1][0] == "Checking rows: 3"
    assert said[2][0] == "Placing incidents without coordinates: 1 of 2"
    assert [done for _, done in said] == sorted(done for _, done in said)
    said.clear()
    load_path(path, progress=lambda stage, done: said.append(stage))  # from the snapshot
    assert said == []
