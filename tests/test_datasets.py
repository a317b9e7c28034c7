"""The validation sets shipped in the package: identical to their origins, reachable by name from the CLI."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate.cli import app
from stargate.errors import InputError
from stargate.perf.validation import DATASETS, dataset_path, read_rows

ROOT = Path(__file__).resolve().parents[1]
SHARED_DEV = ROOT.parent / "shared" / "validation" / "dev.csv"
TESTS_OOS = Path(__file__).parent / "data" / "oos.csv"
runner = CliRunner()


@pytest.mark.parametrize("name", DATASETS)
def test_shipped_dataset_is_inside_the_package_and_readable(name):
    path = dataset_path(name)
    assert path.is_file() and path.parent.name == "validation" and path.parent.parent.name == "data"
    assert len(read_rows(path)) > 50


def test_shipped_dev_set_is_the_shared_development_set():
    if not SHARED_DEV.is_file():
        pytest.skip("../shared/validation/dev.csv not present")
    assert dataset_path("dev").read_bytes() == SHARED_DEV.read_bytes()


def test_shipped_oos_set_is_the_test_copy():
    # tests/data/oos.csv stays for the out-of-sample tests; the shipped copy must not drift from it
    assert dataset_path("oos").read_bytes() == TESTS_OOS.read_bytes()


def test_unknown_dataset_name_is_an_input_error():
    with pytest.raises(InputError, match="one of dev, oos"):
        dataset_path("xyz")


def test_validate_dataset_dev_matches_the_shared_file():
    if not SHARED_DEV.is_file():
        pytest.skip("../shared/validation/dev.csv not present")
    shipped = runner.invoke(app, ["validate", "--dataset", "dev", "--json"])
    assert shipped.exit_code == 0, shipped.output
    shared = runner.invoke(app, ["validate", str(SHARED_DEV), "--json"])
    assert shared.exit_code == 0, shared.output
    assert json.loads(shipped.stdout)["summary"] == json.loads(shared.stdout)["summary"]


@pytest.mark.parametrize("command", ["validate", "calibrate"])
@pytest.mark.parametrize("args", [[], ["--dataset", "dev", str(TESTS_OOS)], ["--dataset", "xyz"]])
def test_dataset_and_path_errors_are_one_line_exit_2(command, args):
    out = runner.invoke(app, [command, *args])
    assert out.exit_code == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "dataset" in lines[0]
