import csv
import tomllib
from importlib import resources

import pytest

from stargate import catalog

VALIDATION_KEYS = [
    "v100-32gb", "a100-40gb", "a100-80gb", "h100-sxm", "h800", "h200", "b200", "gb200", "gb300",
    "tpu-v3", "tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e", "gaudi2", "gaudi3", "mi300x",
]


@pytest.mark.parametrize("filename", ["accelerators.toml", "models.toml", "references.toml", "sources.toml"])
def test_every_catalog_entry_has_a_source_and_a_date(filename):
    data = tomllib.loads(resources.files("stargate.catalog").joinpath(filename).read_text())
    assert data
    for key, entry in data.items():
        assert entry.get("date"), f"{filename}:{key} has no date"
        assert entry.get("sources") or entry.get("citation"), f"{filename}:{key} has no source"


def test_accelerator_source_ids_resolve_to_citations():
    known = catalog.sources()
    for acc in catalog.accelerators().values():
        for source_id in acc.sources:
            assert source_id in known, f"{acc.key}: unknown source id {source_id}"


def test_catalog_knows_every_validation_accelerator_key():
    assert set(VALIDATION_KEYS) <= set(catalog.accelerators())


def test_catalog_holds_every_row_of_the_reference_hardware_table(shared_dir):
    with open(shared_dir / "reference" / "hardware.csv") as handle:
        rows = list(csv.DictReader(handle))
    names = {acc.name for acc in catalog.accelerators().values()}
    assert {row["name"] for row in rows} <= names


def test_peaks_are_dense_and_sparse_headlines_are_twice_dense():
    for acc in catalog.accelerators().values():
        if acc.bf16_sparse_tflops_vendor_headline is not None:
            assert acc.bf16_sparse_tflops_vendor_headline == pytest.approx(2 * acc.bf16_dense_tflops, rel=0.01)
    assert catalog.accelerator("h100-sxm").bf16_dense_tflops == 989
    assert catalog.accelerator("gb200").bf16_dense_tflops == 2500


def test_superchip_entries_are_two_gpus_of_their_per_gpu_entry():
    for key in ("gb200", "gb300"):
        chip, gpu = catalog.accelerator(f"{key}-superchip"), catalog.accelerator(key)
        assert chip.unit == "superchip" and chip.gpus_per_unit == 2 and gpu.unit == "gpu"
        assert chip.bf16_dense_tflops == 2 * gpu.bf16_dense_tflops
        assert chip.hbm_gbyte == pytest.approx(2 * gpu.hbm_gbyte, rel=0.01)


def test_units_are_consistent_across_accelerators():
    for acc in catalog.accelerators().values():
        # fp8 never slower than bf16, fp4 never slower than fp8; HBM in GB and TB/s in sane ranges
        if acc.fp8_dense_tflops:
            assert acc.fp8_dense_tflops >= acc.bf16_dense_tflops
        if acc.fp4_dense_tflops and acc.fp8_dense_tflops:
            assert acc.fp4_dense_tflops >= acc.fp8_dense_tflops
        assert 10 <= acc.hbm_gbyte <= 1000, acc.key
        assert 0.5 <= acc.hbm_tbyte_s <= 25, acc.key  # Rubin HBM4: 22 TB/s
        assert 50 <= acc.scaleup_gbyte_s_per_dir <= 2000, acc.key  # GB/s per direction, not Gb/s
        assert acc.scaleup_domain >= 1
        if acc.scaleout_gbit_s is not None:
            assert 10 <= acc.scaleout_gbit_s <= 3200, acc.key  # Gb/s (bits); MI450: 2,400


def test_unknown_accelerator_error_lists_the_known_keys():
    with pytest.raises(catalog.InputError, match="accelerator = 'h1000'.*h100-sxm"):
        catalog.accelerator("h1000")


def test_model_catalog_marks_estimates():
    assert catalog.model("gpt4").estimate and catalog.model("gpt4").training_flop_estimate == 2.1e25
    assert catalog.model("grok-3").training_flop_estimate == 4.6e26
    assert not catalog.model("llama-3.1-405b").estimate
