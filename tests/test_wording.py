import pytest

from dashboard.cli import main
from dashboard.wording import plural


@pytest.mark.parametrize(
    ("count", "words", "said"),
    [(1, ("row",), "1 row"), (0, ("row",), "0 rows"), (1_566, ("incident",), "1,566 incidents"),
     (1, ("country", "countries"), "1 country"), (2, ("country", "countries"), "2 countries")],
)
def test_counts_are_said_in_the_singular_only_for_one(count, words, said):
    assert plural(count, *words) == said


def test_the_command_line_says_1_row(write_csv, tmp_path, capsys):
    source = write_csv("place,country\nKabul,Afghanistan\n", "one.csv")
    assert main(["geocode", str(source), "-o", str(tmp_path / "out.csv")]) == 0
    assert capsys.readouterr().out.startswith(f"wrote 1 row to {tmp_path / 'out.csv'} (0 rows ")
