"""A seeded slice of benchmarks/fuzz.py: mutated real files and random blobs through the
loading pipeline, with the invariants the full run reports."""

from __future__ import annotations

import fuzz
import pytest

from dashboard.gazetteer import load_gazetteer


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    load_gazetteer()
    files = fuzz.seeds()
    folder = tmp_path_factory.mktemp("cases")
    cases = [fuzz.mutated_case(index, 17, files) for index in range(90)]
    cases += [fuzz.blob_case(index, 17) for index in range(60)]
    return [fuzz.run_case(name, data, folder) for name, data in cases]


def test_no_exception_but_loader_error(outcomes):
    assert [(o["name"], o["error"]) for o in outcomes if o["error"]] == []


def test_every_record_is_loaded_or_rejected(outcomes):
    assert [(o["name"], o["unaccounted"]) for o in outcomes if o["unaccounted"]] == []
    assert sum(1 for o in outcomes if o["refused"] is None) > 75  # most cases do load


def test_the_snapshot_reads_back_as_written(outcomes):
    assert [(o["name"], o["warm_cold"]) for o in outcomes if o["warm_cold"]] == []
