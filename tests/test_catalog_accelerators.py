"""Accelerator catalog: price ranges, facility defaults per accelerator, and the 2025-2026 rows."""

import re
import tomllib
from importlib import resources

import pytest

import stargate
from stargate import catalog
from stargate.errors import InputError

NEW_KEYS = ("trainium3", "vera-rubin", "mi450")
# entries whose server_overhead_factor comes from the vendor's published system (server or rack) power
VENDOR_SYSTEM_POWER = {"v100-32gb", "a100-40gb", "a100-80gb", "h100-sxm", "h200", "b200", "b300",
                       "gb200", "gb200-superchip", "gb300", "gb300-superchip"}


def acc(key):
    return catalog.accelerator(key)


@pytest.mark.parametrize(("key", "system_w", "n_gpus"), [
    ("gb200", 132_000, 72),    # GB200 NVL72 rack: 132 kW of power shelves, 72 GPUs at 1,200 W
    ("h100-sxm", 10_200, 8),   # DGX H100: 6 x 3.3 kW PSUs, 10.2 kW max, 8 GPUs at 700 W
    ("b200", 14_300, 8),       # DGX B200: 14.3 kW max, 8 GPUs at 1,000 W
    ("a100-80gb", 6_500, 8),   # DGX A100: 6.5 kW max, 8 GPUs at 400 W
])
def test_server_overhead_is_vendor_system_power_over_gpu_power(key, system_w, n_gpus):
    a = acc(key)
    assert a.server_overhead_factor == pytest.approx(system_w / (n_gpus * a.tdp_w), abs=0.005)


def test_hand_derived_overheads():
    assert acc("gb200").server_overhead_factor == pytest.approx(1.53, abs=0.005)  # 132 / 86.4
    assert acc("h100-sxm").server_overhead_factor == pytest.approx(1.82, abs=0.005)  # 10.2 / 5.6
    assert acc("b200").server_overhead_factor == pytest.approx(1.79, abs=0.005)  # 14.3 / 8


def test_gb200_nvl72_rack_is_132_kw_for_72_liquid_cooled_gpus():
    for key in ("gb200", "gb200-superchip"):
        a = acc(key)
        assert (a.rack_kw, a.gpus_per_rack, a.cooling, a.scaleup_domain) == (132.0, 72, "liquid", 72)
    assert acc("gb200").rack_kw * 1000 / acc("gb200").gpus_per_rack == pytest.approx(1833, abs=1)  # W per GPU


def test_rack_power_is_gpus_times_tdp_times_overhead():
    checked = 0
    for a in catalog.accelerators().values():
        if None in (a.rack_kw, a.gpus_per_rack, a.tdp_w, a.server_overhead_factor):
            continue
        per_gpu_w = a.tdp_w / a.gpus_per_unit
        assert a.rack_kw == pytest.approx(a.gpus_per_rack * per_gpu_w * a.server_overhead_factor / 1000,
                                          rel=0.01), a.key
        checked += 1
    assert checked >= 15


def test_every_accelerator_has_cooling_scaleup_domain_and_overhead():
    for a in catalog.accelerators().values():
        assert a.cooling in ("liquid", "air"), a.key
        assert a.scaleup_domain >= 1, a.key
        assert a.server_overhead_factor is not None and 1.0 < a.server_overhead_factor < 2.5, a.key
        if a.rack_kw is not None:
            limit = 600 if a.cooling == "liquid" else 50  # practical rack limits (catalog/facility.toml)
            assert a.rack_kw <= limit, a.key
    assert acc("h100-sxm").cooling == "air" and acc("gb300").cooling == "liquid"
    assert (acc("h100-sxm").rack_kw, acc("h100-sxm").gpus_per_rack) == (40.8, 32)  # 4 DGX H100


def test_facility_values_without_vendor_system_power_say_they_are_estimates():
    for a in catalog.accelerators().values():
        if a.key not in VENDOR_SYSTEM_POWER:
            assert re.search(r"estimate|assumption", a.notes), a.key


def test_price_ranges_bracket_the_central_price():
    ranged = [a for a in catalog.accelerators().values() if a.price_usd_low is not None or a.price_usd_high is not None]
    assert {"gb200", "h100-sxm", "b200", "h200", "a100-80gb", "mi300x"} <= {a.key for a in ranged}
    for a in ranged:
        assert a.price_usd_low is not None and a.price_usd_high is not None, a.key
        assert a.price_usd_low <= a.price_usd <= a.price_usd_high, a.key


def test_gb200_and_gb300_prices_are_nvl72_rack_shares():
    gb200, gb300 = acc("gb200"), acc("gb300")
    assert gb200.price_usd == pytest.approx(3.4e6 / 72, abs=1)  # Bernstein: $3.4M compute hardware per rack
    assert gb200.price_usd_low == pytest.approx(3.1e6 / 72, abs=1)
    assert gb200.price_usd_high == pytest.approx(4.0e6 / 72, abs=1)  # Morgan Stanley: $3.5-4M per rack
    assert gb200.price_usd_high < 100_000  # the FT's ~$100k per GB200 has a wider, unstated scope
    assert gb300.price_usd == pytest.approx(4.0e6 / 72, abs=1)  # Morgan Stanley 2026-06: ~$4M per rack
    for key in ("gb200", "gb300"):
        assert acc(f"{key}-superchip").price_usd == pytest.approx(2 * acc(key).price_usd, abs=2)


def test_estimate_rows_are_flagged():
    assert acc("vera-rubin").estimate and acc("mi450").estimate
    assert not acc("trainium3").estimate  # AWS Neuron documentation of a shipping chip
    assert not acc("gb200").estimate and not acc("h100-sxm").estimate
    for a in catalog.accelerators().values():
        if a.estimate:
            assert "Pre-release" in a.notes, a.key


@pytest.mark.parametrize("filename", sorted(
    p.name for p in resources.files("stargate.catalog").iterdir() if p.name.endswith(".toml")))
def test_no_catalog_text_cites_a_workspace_path(filename):
    text = resources.files("stargate.catalog").joinpath(filename).read_text(encoding="utf-8")
    assert "shared/" not in text
    tomllib.loads(text)


def test_new_rows_peaks_are_dense():
    for key in NEW_KEYS:
        a = acc(key)
        assert a.bf16_sparse_tflops_vendor_headline is None, key
        assert a.fp8_dense_tflops >= a.bf16_dense_tflops, key
        assert a.fp4_dense_tflops >= a.fp8_dense_tflops, key
    trn3 = acc("trainium3")
    # AWS Trn3 Gen2 UltraServer: 362,448 dense MXFP8 and 96,624 BF16 TFLOP/s over 144 chips
    assert trn3.fp8_dense_tflops == pytest.approx(362_448 / 144, rel=1e-3)
    assert trn3.bf16_dense_tflops == pytest.approx(96_624 / 144, rel=1e-3)
    assert trn3.hbm_gbyte == pytest.approx(144 * 2**30 / 1e9, rel=1e-3)  # 144 GiB
    assert trn3.scaleup_domain == 144 and trn3.scaleout_gbit_s == 28_800 / 144
    rubin = acc("vera-rubin")
    assert rubin.fp8_dense_tflops == pytest.approx(1.2e6 / 72, rel=1e-3)  # 1.2 EF FP8 per 72-GPU rack
    assert rubin.fp4_dense_tflops == pytest.approx(2.5e6 / 72, rel=0.01)  # 2.5 EF NVFP4 training
    assert rubin.fp4_dense_tflops < 50_000  # the 50 PF inference headline is not a training peak
    mi450 = acc("mi450")
    assert (mi450.fp8_dense_tflops, mi450.fp4_dense_tflops, mi450.hbm_gbyte) == (20_000, 40_000, 432)
    for key in ("vera-rubin", "mi450"):  # 260 TB/s per 72-GPU rack, both ways
        assert acc(key).scaleup_gbyte_s_per_dir == pytest.approx(260e3 / 72 / 2, rel=0.01)


@pytest.mark.parametrize("key", NEW_KEYS)
def test_new_rows_name_a_family_and_their_tdp_state(key):
    a = acc(key)
    assert a.family and a.scaleup_domain and a.scaleout_gbit_s
    assert a.tdp_w is None  # not published: the plan must ask for it instead of guessing


def _scenario(key, **facility):
    data = tomllib.loads(stargate.scenario.default_scenario_text())
    data["cluster"] = {"accelerator": key, "count": 20_000, "unit": "gpu"}
    data["facility"].update(facility)
    return stargate.scenario_from_dict(data)


@pytest.mark.parametrize("key", ["trainium3", "vera-rubin"])
def test_plan_with_a_new_accelerator_refuses_in_one_line_without_a_tdp(key):
    with pytest.raises(InputError) as err:
        stargate.plan(_scenario(key))
    message = str(err.value)
    assert "facility.accelerator_tdp_w" in message and "\n" not in message


@pytest.mark.parametrize(("key", "tdp_w"), [("trainium3", 1000.0), ("vera-rubin", 1800.0)])
def test_plan_with_a_new_accelerator_runs_given_a_tdp(key, tdp_w):
    result = stargate.plan(_scenario(key, accelerator_tdp_w=tdp_w))
    assert result is not None
