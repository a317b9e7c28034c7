"""Recompute each claim from the catalogs and the models, and give it a verdict.

Verdicts: ``holds`` (the claim's number follows from sourced inputs), ``holds_only_if`` (only under a
stated reading or assumption), ``does_not_hold``. Training-time claims report the MFU each side
implies under every reading ("GB200" = one GPU or a two-GPU superchip; dense or 2:4-sparse peak),
never accept a reading that needs more than 100 % of a dense peak, and compare with the performance
model's prediction for the best layout (:func:`stargate.plan`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from stargate import catalog
from stargate.claims.model import (
    CampusPower,
    ChipCount,
    Claim,
    Cost,
    EnergyShare,
    Facts,
    NuclearEquivalence,
    PeakFlops,
    ProgrammePower,
    QueryEnergy,
    TrainingTime,
)
from stargate.inference import ServingAssumptions, serve
from stargate.pipeline import TrainingRun
from stargate.workload import ModelSpec

Verdict = Literal["holds", "holds_only_if", "does_not_hold"]
MATCH = 0.10                 # a computed figure "matches" a claimed one within 10 %
CLOSE = 0.25                 # a claim "holds" when the realistic figure is within 25 %
BEST_PUBLISHED_MFU = 0.60    # above any published large-scale MFU (Korthikanti 2022: 56 %; PaLM 46 %; Llama 3 43 %)


@dataclass(frozen=True)
class ClaimResult:
    id: str
    claim: str
    computed: dict[str, Any]
    verdict: Verdict
    assumptions: list[str]
    sources: list[str] = field(default_factory=list)


def _readings(acc_key: str, count: int, precision: str) -> dict[str, float]:
    """Peak FLOP/s of ``count`` units under each reading of the unit and of the peak."""
    gpu = catalog.accelerator(acc_key)
    out = {}
    for unit, gpus in (("GPU", count), ("superchip", 2 * count)):
        dense = gpu.dense_tflops(precision) * 1e12 * gpus
        out[f"{unit}, dense {precision.upper()}"] = dense
        out[f"{unit}, 2:4-sparse {precision.upper()}"] = 2 * dense
    return out


def check_peak_flops(c: PeakFlops) -> tuple[dict, Verdict, list[str]]:
    readings = _readings(c.accelerator, c.count, c.precision)
    if catalog.accelerator(c.accelerator).supports("fp8") and c.precision in ("bf16", "fp16"):
        readings |= {k: v for k, v in _readings(c.accelerator, c.count, "fp8").items() if "dense" in k}
    computed = {f"peak_flop_s ({k})": v for k, v in readings.items()}
    matches = [k for k, v in readings.items() if abs(v / c.claimed_flop_s - 1) <= MATCH]
    dense_match = [k for k in matches if "dense" in k and c.precision.upper() in k]
    if dense_match:
        return computed, "holds", [f"matches the {dense_match[0]} peak"]
    if matches:
        dense = {k: v for k, v in readings.items() if "dense" in k and c.precision.upper() in k}
        return computed, "holds_only_if", [
            f"only the reading(s) {', '.join(matches)} give {c.claimed_flop_s:.3g} FLOP/s",
            "dense " + c.precision.upper() + ": " + ", ".join(f"{k.split(',')[0]}s {v / 1e21:.2f} ZFLOP/s"
                                                              for k, v in dense.items()),
            "sparse peaks apply only to 2:4-pruned matrices; training uses the dense rate"]
    return computed, "does_not_hold", ["no reading of unit or sparsity gives the claimed figure"]


def _training_flop(model_key: str) -> float:
    entry = catalog.model(model_key)
    if entry.training_flop_estimate:
        return entry.training_flop_estimate
    from stargate.workload import model_flop_per_token
    return model_flop_per_token(ModelSpec.from_catalog(entry)) * entry.training_tokens


def _realistic_run(c: TrainingTime, flop: float, accelerator: str, count: int, unit: str) -> TrainingRun:
    """The step model's best layout and job size for the claimed run (stargate.pipeline.train).

    A model with a (published or rumoured) shape keeps it; one with only a compute estimate (Grok 3)
    becomes the compute-optimal dense run of that budget. Estimates train with the batch law's batch
    for their budget, published runs with their own (stargate.frontier).
    """
    from stargate.pipeline import train
    from stargate.scenario import scenario_from_dict

    model = c.proxy_model or c.model
    workload = ({"model": model, "training_flop": flop} if catalog.model(model).has_shape
                else {"training_flop": flop})
    return train(scenario_from_dict({
        "name": "claim check", "workload": workload | {"precision": "bf16"},
        "cluster": {"accelerator": accelerator, "count": count, "unit": unit}}))


def _run_facts(run: TrainingRun) -> dict[str, Any]:
    tr = run.training
    return {"hours_failure_free": tr.days * 24, "hours_with_failures": tr.wall_clock_days * 24, "mfu": tr.mfu,
            "gpus_used": tr.n_gpus_used}


def check_training_time(c: TrainingTime) -> tuple[dict, Verdict, list[str]]:
    flop = _training_flop(c.model)
    seconds = c.claimed_hours * 3600
    readings = _readings(c.accelerator, c.count, "bf16")
    if catalog.accelerator(c.accelerator).supports("fp8"):
        readings |= {k: v for k, v in _readings(c.accelerator, c.count, "fp8").items() if "dense" in k}
    implied = {k: flop / (seconds * v) for k, v in readings.items()}
    computed: dict[str, Any] = {"training_flop": flop, "needed_flop_s": flop / seconds}
    computed |= {f"implied_mfu ({k})": v for k, v in implied.items()}
    assumptions = [f"training compute {flop:.3g} FLOP" + (" (estimate)" if catalog.model(c.model).estimate else "")]
    if c.reference_accelerator and c.reference_count and c.reference_days:
        ref_peak = catalog.accelerator(c.reference_accelerator).dense_tflops("bf16") * 1e12 * c.reference_count
        ref_mfu = flop / (c.reference_days * 86400 * ref_peak)
        computed["reference_implied_mfu (dense BF16)"] = ref_mfu
        assumptions.append(f"the reference run ({c.reference_count:,} {c.reference_accelerator}, "
                           f"{c.reference_days:g} days) implies {ref_mfu:.1%} MFU of dense BF16")
        computed["claimed_speedup"] = c.reference_days * 24 / c.claimed_hours
    runs = {unit: _realistic_run(c, flop, c.accelerator, c.count, unit) for unit in ("gpu", "superchip")}
    for unit, run in runs.items():
        facts = _run_facts(run)
        computed[f"predicted_hours ({unit}, BF16, failure-free)"] = facts["hours_failure_free"]
        computed[f"predicted_hours ({unit}, BF16, with failures)"] = facts["hours_with_failures"]
        computed[f"predicted_mfu ({unit})"] = facts["mfu"]
        computed[f"predicted_gpus_used ({unit})"] = facts["gpus_used"]
    wl = runs["gpu"].workload
    computed["global_batch_tokens"] = wl.global_batch_tokens
    shape = "its rumoured shape" if wl.compute_optimal is None else f"the compute-optimal dense shape ({wl.spec.name})"
    assumptions.append(f"predicted with {shape}, a {wl.global_batch_tokens / 1e6:,.1f}M-token batch "
                       f"({wl.batch_basis}) and the step model's best layout and job size")
    if c.reference_accelerator and c.reference_count:
        ref = _run_facts(_realistic_run(c, flop, c.reference_accelerator, c.reference_count, "gpu"))
        computed["reference_predicted_hours (failure-free)"] = ref["hours_failure_free"]
        computed["reference_predicted_hours (with failures)"] = ref["hours_with_failures"]
        computed["reference_predicted_mfu"] = ref["mfu"]
        faster = ref["hours_failure_free"] / computed["predicted_hours (superchip, BF16, failure-free)"]
        computed["predicted_speedup (superchip reading, failure-free)"] = faster
        claimed = f", not {computed['claimed_speedup']:.0f}x" if "claimed_speedup" in computed else ""
        assumptions.append(f"the same machinery predicts {ref['hours_failure_free'] / 24:,.0f} days failure-free "
                           f"({ref['mfu']:.0%} MFU) on the reference {c.reference_count:,} {c.reference_accelerator}: "
                           f"the claimed cluster read as superchips is {faster:.1f}x faster{claimed}")
    impossible = [k for k, v in implied.items() if "dense" in k and v > 1]
    if impossible:
        assumptions.append("physically impossible (> 100 % of the dense peak): " + ", ".join(
            f"{k} {implied[k]:.0%}" for k in impossible))
    sparse = [k for k in implied if "sparse" in k]
    assumptions.append("2:4-sparse readings are shown for what the claim assumed; dense training cannot use them: "
                       + ", ".join(f"{k} {implied[k]:.0%}" for k in sparse))
    best_hours = min(computed["predicted_hours (superchip, BF16, failure-free)"],
                     computed["predicted_hours (gpu, BF16, failure-free)"])
    fast = runs["superchip"].training
    assumptions.append(
        f"why {fast.days * 24:,.0f} h on the superchip reading: {flop:.2g} FLOP / ({fast.mfu:.0%} MFU x "
        f"{fast.peak_flop_s / 1e18:,.0f} EFLOP/s of the {fast.n_gpus_used:,} GPUs the best job uses); the "
        f"{wl.global_batch_tokens / 1e6:,.1f}M-token batch leaves {wl.global_batch_tokens / fast.n_gpus_used:,.0f} "
        "tokens per GPU per step, so pipeline bubbles and communication cap the MFU")
    if best_hours <= c.claimed_hours * (1 + CLOSE):
        return computed, "holds", [*assumptions, f"the step model predicts {best_hours:,.0f} h"]
    plausible = [k for k, v in implied.items() if "dense" in k and v <= BEST_PUBLISHED_MFU]
    if plausible:
        condition = (f"only with {plausible[0]} at {implied[plausible[0]]:.0%} MFU; "
                     f"the step model predicts {best_hours:,.0f} h with its best layout")
        return computed, "holds_only_if", [*assumptions, condition]
    reason = (f"every dense reading needs more than {BEST_PUBLISHED_MFU:.0%} MFU (the best published at scale is "
              f"~56 %); realistic: {best_hours:,.0f} h failure-free with the best layout")
    return computed, "does_not_hold", [*assumptions, reason]


def _changed(c: Claim) -> list[str]:
    """The assumption line saying which facts changed since the claim was made (none: no line)."""
    changed = getattr(c, "facts_changed", [])
    return ["facts changed since the claim: " + "; ".join(changed)] if changed else []


def _within(value: float, low: float, high: float, tolerance: float = MATCH) -> bool:
    return low * (1 - tolerance) <= value <= high * (1 + tolerance)


def check_chip_count(c: ChipCount) -> tuple[dict, Verdict, list[str]]:
    per_gw = c.campus_gpus / c.campus_mw * 1000
    low, high = per_gw * c.programme_gw_low, per_gw * c.programme_gw_high
    computed = {"gpus_per_gw": per_gw, "programme_gpus_low": low, "programme_gpus_high": high,
                "programme_superchips_low": low / 2, "programme_superchips_high": high / 2,
                "gw_at_claimed_gpus": c.claimed_count / per_gw}
    basis = [f"Abilene's density ({per_gw:,.0f} GPUs per GW) over {c.programme_gw_low:g}-{c.programme_gw_high:g} GW: "
             f"{low / 1e6:.2f}-{high / 1e6:.2f} M Blackwell GPUs", *_changed(c)]
    if _within(c.claimed_count, low, high):
        return computed, "holds", [*basis, "chips counted as Blackwell GPUs"]
    if _within(c.claimed_count, low / 2, high / 2):
        return computed, "holds_only_if", [*basis, (
            f"only if a chip is a GB200 superchip (2 GPUs): {low / 2e6:.2f}-{high / 2e6:.2f} M; "
            f"{c.claimed_count / 1e6:g} M GPUs would fill only {c.claimed_count / per_gw:.1f} GW")]
    return computed, "does_not_hold", [*basis, f"{c.claimed_count / 1e6:g} M GPUs fill "
                                                f"{c.claimed_count / per_gw:.1f} GW"]


def check_campus_power(c: CampusPower) -> tuple[dict, Verdict, list[str]]:
    from stargate.facility import facility_catalog, facility_power

    refs = catalog.references()
    acc = catalog.accelerator(c.accelerator)
    it_factor = facility_catalog().it_over_server_factor  # switches, storage, management (Epoch AI)
    cases = {"low (NVL72 rack overhead 1.39, PUE 1.1)": (1.39, 1.1),
             "high (DGX overhead 1.82, PUE 1.3)": (1.82, 1.3)}
    computed = {}
    for name, (overhead, pue) in cases.items():
        computed[f"facility_mw {name}"] = facility_power(
            c.count, acc.tdp_w, overhead, pue, 1.0, refs["nuclear_unit"].values["value_mw"],
            refs["japan_electricity"].values["value_twh"], it_overhead_factor=it_factor).facility_power_mw
    computed["superchip_reading_accelerators_mw"] = 2 * c.count * acc.tdp_w / 1e6
    low, high = computed[next(iter(computed))], computed[list(computed)[1]]
    if low <= c.claimed_mw * (1 + MATCH) and c.claimed_mw <= high * (1 + MATCH):
        return computed, "holds", [f"{c.count:,} GPUs at {acc.tdp_w:,.0f} W with server overhead, x{it_factor:g} "
                                   f"network and storage, and PUE give {low:,.0f}-{high:,.0f} MW",
                                   "counting GB200 as GPUs (as superchips the accelerators alone would draw "
                                   "about the whole claim before overhead)"]
    return computed, "does_not_hold", [f"computed range {low:,.0f}-{high:,.0f} MW"]


def check_programme_power(c: ProgrammePower) -> tuple[dict, Verdict, list[str]]:
    computed = {"campuses_at_claim": c.claimed_mw / c.campus_mw, "ten_campuses_mw": c.campuses_planned * c.campus_mw,
                "planned_2025_mw": c.planned_2025_mw, "planned_over_claim": c.planned_2025_mw / c.claimed_mw}
    assumptions = [f"{c.claimed_mw / c.campus_mw:.1f} Abilene-size campuses fit in {c.claimed_mw:,.0f} MW; the "
                   f"{c.campuses_planned} planned campuses would need {c.campuses_planned * c.campus_mw:,.0f} MW and "
                   f"the 2025 plans already total ~{c.planned_2025_mw:,.0f} MW "
                   f"(x{c.planned_2025_mw / c.claimed_mw:.1f} the claim)"]
    if c.secured_mw:
        computed |= {"secured_mw": c.secured_mw, "secured_over_claim": c.secured_mw / c.claimed_mw}
        assumptions.append(f"{c.secured_mw:,.0f} MW secured is x{c.secured_mw / c.claimed_mw:.1f} the claim")
    if c.us_sites and c.us_sites_mw:
        computed |= {"us_sites": c.us_sites, "us_sites_mw": c.us_sites_mw,
                     "us_sites_abilene_equivalents": c.us_sites_mw / c.campus_mw}
        assumptions.append(f"{c.us_sites} US sites of {c.us_sites_mw:,.0f} MW "
                           f"({c.us_sites_mw / c.campus_mw:.1f} Abilenes), not {c.campuses_planned} campuses")
    return computed, "holds_only_if", [*assumptions, *_changed(c),
                                       f"only as the 2024 plan: {c.claimed_mw:,.0f} MW is now a floor, not a ceiling"]


def check_nuclear(c: NuclearEquivalence) -> tuple[dict, Verdict, list[str]]:
    reactor = catalog.references()["nuclear_unit"].values["value_mw"]
    dc_twh = c.claimed_mw * 8760 * c.datacentre_utilisation / 1e6
    reactor_twh = reactor * 8760 * c.reactor_capacity_factor / 1e6
    computed = {"reactor_mw": reactor, "power_ratio": c.claimed_mw / reactor, "datacentre_twh": dc_twh,
                "reactor_twh": reactor_twh, "energy_ratio": dc_twh / reactor_twh}
    verdict: Verdict = "holds" if abs(c.claimed_mw / reactor - 1) <= CLOSE else "does_not_hold"
    return computed, verdict, [f"one AP1000 unit ({reactor:,.0f} MW); data centre at {c.datacentre_utilisation:.0%} "
                               f"load, reactor at {c.reactor_capacity_factor:.0%} capacity factor"]


def check_energy_share(c: EnergyShare) -> tuple[dict, Verdict, list[str]]:
    computed = {f"ratio_{k}": getattr(c, f"projection_{k}_twh") / c.base_twh for k in ("low", "base", "high")}
    computed |= {"country_twh": c.country_twh, "base_share_of_country": c.projection_base_twh / c.country_twh}
    later = _later_projection(c, computed)
    if c.projection_base_twh >= 2 * c.base_twh * (1 - MATCH) and c.projection_base_twh >= c.country_twh * (1 - MATCH):
        return computed, "holds", ["the IEA base case doubles and reaches the country's consumption", *later]
    return computed, "holds_only_if", [
        f"the IEA high case ({c.projection_high_twh:,.0f} TWh, x{computed['ratio_high']:.2f}) doubles and passes "
        f"Japan ({c.country_twh:,.0f} TWh); the base case ({c.projection_base_twh:,.0f} TWh) is "
        f"x{computed['ratio_base']:.2f}, {computed['base_share_of_country']:.0%} of Japan", *later]


def _later_projection(c: EnergyShare, computed: dict) -> list[str]:
    """A later projection beside the cited one: its ratio, yearly growth and where its trend puts the claim year."""
    if not (c.update_base_twh and c.update_base_year and c.update_projection_twh and c.update_projection_year):
        return _changed(c)
    years = c.update_projection_year - c.update_base_year
    ratio = c.update_projection_twh / c.update_base_twh
    growth = ratio ** (1 / years) - 1
    computed |= {"update_ratio": ratio, "update_growth_per_yr": growth,
                 "update_share_of_country": c.update_projection_twh / c.country_twh}
    lines = [f"later projection: {c.update_base_twh:,.0f} TWh ({c.update_base_year}) -> "
             f"{c.update_projection_twh:,.0f} TWh ({c.update_projection_year}), x{ratio:.2f} at {growth:.1%}/yr, "
             f"{computed['update_share_of_country']:.0%} of the country's {c.country_twh:,.0f} TWh"]
    if c.claim_year:
        trend = c.update_base_twh * (1 + growth) ** (c.claim_year - c.update_base_year)
        computed[f"update_trend_{c.claim_year}_twh"] = trend
        lines.append(f"on that trend {c.claim_year} reaches ~{trend:,.0f} TWh: the doubling and the country "
                     f"comparison move from {c.claim_year} to {c.update_projection_year}")
    return [*lines, *_changed(c)]


GPT4O_CLASS = ModelSpec(name="GPT-4o-class MoE (assumed)", layers=80, hidden=8192, heads=64, kv_heads=8,
                        ffn_hidden=28672, vocab=128000, seq_len=8192, experts=16, top_k=2, params_b_given=400,
                        active_params_b_given=100)


def check_query_energy(c: QueryEnergy) -> tuple[dict, Verdict, list[str]]:
    h100 = catalog.accelerator("h100-sxm")
    cases = {"typical (500 in, 500 out, batch 64)": ServingAssumptions(prompt_tokens=500, output_tokens=500, batch=64),
             "busy (batch 256)": ServingAssumptions(prompt_tokens=500, output_tokens=500, batch=256),
             "poorly batched (batch 8)": ServingAssumptions(prompt_tokens=500, output_tokens=500, batch=8),
             "long context (10k in)": ServingAssumptions(prompt_tokens=10000, output_tokens=500, batch=16)}
    energies = {k: serve(GPT4O_CLASS, h100, a).energy_wh_per_query for k, a in cases.items()}
    computed: dict[str, Any] = {f"model_wh ({k})": v for k, v in energies.items()}
    computed |= {f"model_ratio ({k})": v / c.search_wh for k, v in energies.items()}
    published = [w / c.search_wh for w in c.published_query_wh]
    computed["published_ratio_range"] = [min(published), max(published)]
    typical = energies["typical (500 in, 500 out, batch 64)"] / c.search_wh
    assumptions = [f"a Google search = {c.search_wh} Wh (2009)", "GPT-4o-class: 100B active of 400B parameters "
                   "(assumed), bf16 on H100 at 70 % of TDP, server overhead 1.5, PUE 1.2",
                   f"published per-query estimates give {min(published):.1f}-{max(published):.1f} searches"]
    if abs(typical / c.claimed_ratio - 1) <= CLOSE:
        return computed, "holds", assumptions
    high = [k for k, v in energies.items() if v / c.search_wh >= c.claimed_ratio * (1 - CLOSE)]
    if high:
        condition = f"only for {', '.join(high)} queries; a typical query is ~{typical:.1f} searches"
        return computed, "holds_only_if", [*assumptions, condition]
    return computed, "does_not_hold", [*assumptions, f"a typical query is ~{typical:.1f} searches"]


def _gpu_prices(c: Cost) -> tuple[float, dict[str, float], dict[str, float]]:
    """The GPU price (the catalog's, as in ``stargate economics``, unless overridden), the published per-GPU
    compute prices (rack prices / GPUs per rack; the catalog's low-high if it has them) and all-in prices."""
    acc = catalog.accelerator(c.accelerator)
    price = c.chips_usd_per_gpu or acc.price_usd
    if price is None:
        raise ValueError(f"{c.accelerator} has no catalog price: give chips_usd_per_gpu")
    compute = {f"{k} / {acc.scaleup_domain}": v / acc.scaleup_domain for k, v in c.published_usd_per_rack.items()}
    for bound in ("low", "high"):
        value = getattr(acc, f"price_usd_{bound}", None)
        if value:
            compute[f"catalog {bound}"] = value
    return price, compute, dict(c.published_usd_per_gpu)


def check_cost(c: Cost) -> tuple[dict, Verdict, list[str]]:
    from stargate.economics import cost_data

    costs = cost_data()
    network = costs["it"]["network_storage_share"]
    site = c.site_usd_per_mw or costs["site"]["usd_per_mw"]
    price, compute, all_in = _gpu_prices(c)

    def usd_per_gw(gpu_usd: float, with_network: bool = True) -> float:
        return gpu_usd * (1 + network if with_network else 1) * c.gpus_per_gw + site * 1000

    per_gw = usd_per_gw(price)
    computed: dict[str, Any] = {"usd_per_gpu": price, "usd_per_gw": per_gw,
                                **{f"usd_for_{gw:g}_gw": gw * per_gw for gw in c.programme_gw},
                                **{f"gw_for_{usd / 1e9:g}_gusd": usd / per_gw for usd in c.claimed_usd}}
    computed |= {f"usd_per_gpu ({k})": v for k, v in compute.items()}
    computed |= {f"usd_per_gw (GPU at {k})": usd_per_gw(v) for k, v in compute.items()}
    computed |= {f"usd_per_gw (GPU at {k}, all-in)": usd_per_gw(v, False) for k, v in all_in.items()}
    computed |= {f"published_usd_per_gw ({k})": v for k, v in c.published_usd_per_gw.items()}
    for b in c.later_budgets:
        computed[f"later_budget_usd ({b.what})"] = b.usd
        if b.gw:
            computed[f"later_budget_usd_per_gw ({b.what})"] = b.usd / b.gw
    pairs = (list(zip(c.claimed_usd, c.programme_gw, strict=True)) if len(c.claimed_usd) == len(c.programme_gw)
             else [(usd, gw) for usd in c.claimed_usd for gw in c.programme_gw])  # each figure with its GW
    implied = [usd / gw for usd, gw in pairs]
    computed["claimed_usd_per_gw"] = implied
    origin = "override" if c.chips_usd_per_gpu else "catalog, as in stargate economics"
    read_as = ", ".join(f"{gw:g} GW" for gw in c.programme_gw)
    basis = [f"${price:,.0f} per {c.accelerator} GPU ({origin}) + {network:.0%} network and storage, "
             f"${site / 1e6:.1f}M per MW of site: ${per_gw / 1e9:,.1f}B per GW; claims read as {read_as}",
             *_changed(c)]
    if compute or all_in:
        basis.append("published GPU prices: " + ", ".join(f"{k} ${v:,.0f}" for k, v in (compute | all_in).items()))
    if all(any(abs(gw * per_gw / u - 1) <= CLOSE for v, gw in pairs if v == u) for u in c.claimed_usd):
        return computed, "holds", basis
    published = [*c.published_usd_per_gw.values(), *(usd_per_gw(v) for v in compute.values()),
                 *(usd_per_gw(v, False) for v in all_in.values())]
    bottom_up = ", ".join(f"${usd / 1e9:g}B buys {usd / per_gw:.1f} GW" for usd in c.claimed_usd)
    if published and all(any(_within(v / gw, min(published), max(published), 0.0) for v, gw in pairs if v == u)
                         for u in c.claimed_usd):
        return computed, "holds_only_if", [*basis, (
            f"only at the upper, all-in end of published costs: the claims imply "
            f"{', '.join(f'${u / 1e9:g}B / {gw:g} GW' for u, gw in pairs)} = "
            f"{'-'.join(sorted({f'${x / 1e9:.0f}B' for x in implied}))} per GW, inside the published "
            f"${min(published) / 1e9:.0f}-{max(published) / 1e9:.0f}B per GW but "
            f"{max(implied) / per_gw - 1:.0%} above the bottom-up ${per_gw / 1e9:.1f}B ({bottom_up})")]
    return computed, "does_not_hold", [*basis, bottom_up]


def check_facts(c: Facts) -> tuple[dict, Verdict, list[str]]:
    return {"facts": c.facts}, c.verdict, [c.condition or "sourced facts, no computation", *_changed(c)]


CHECKERS = {"peak_flops": check_peak_flops, "training_time": check_training_time, "chip_count": check_chip_count,
            "campus_power": check_campus_power, "programme_power": check_programme_power,
            "nuclear_equivalence": check_nuclear, "energy_share": check_energy_share,
            "query_energy": check_query_energy, "cost": check_cost, "facts": check_facts}


def check_claim(claim_id: str, claim: Claim) -> ClaimResult:
    """Recompute one claim."""
    computed, verdict, assumptions = CHECKERS[claim.kind](claim)
    computed = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in computed.items()}
    return ClaimResult(claim_id, claim.text, computed, verdict, assumptions, list(claim.sources))


def check_claims(claims: dict[str, Claim]) -> list[ClaimResult]:
    """Recompute every claim, in file order."""
    return [check_claim(k, v) for k, v in claims.items()]
