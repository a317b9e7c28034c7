"""Accelerator-dependent settings of a deployment: from the catalog unless the scenario gives them.

The scale-up domain, NIC bandwidth, board power, server overhead, rack power, cooling and price all
follow from the accelerator chosen (``catalog/accelerators.toml``, each value with its source). A
scenario may override any of them; :func:`resolve_deployment` records which value came from where,
and :func:`check_source_notes` refuses a source note for one of them that names another accelerator
(a GB200 note left behind in a scenario switched to H100).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from stargate import catalog
from stargate.catalog import Accelerator
from stargate.errors import InputError
from stargate.scenario import Scenario

# used only where the catalog has no value for the accelerator (each labelled "default" in the plan)
FALLBACK_SERVER_OVERHEAD = 1.5   # server power / accelerator TDP of a typical 8-accelerator server [-]
FALLBACK_RACK_KW = {"liquid": 120.0, "air": 40.0}
LIQUID_FROM_TDP_W = 1000.0       # accelerators of >= 1 kW ship liquid-cooled (B200/GB200 class)

# the scenario field that overrides each setting (its source note must not name another accelerator)
SCENARIO_FIELDS = {"scaleup_domain": "cluster.scaleup_domain", "scaleout_gbit_s": "cluster.scaleout_gbit_s",
                   "tdp_w_per_gpu": "facility.accelerator_tdp_w",
                   "server_overhead_factor": "facility.server_overhead_factor", "rack_kw": "facility.rack_kw",
                   "cooling": "facility.cooling", "price_usd_per_gpu": "cluster.price_usd_per_gpu"}


@dataclass(frozen=True)
class Setting:
    """One value and where it came from ("given in scenario", "catalog (key)" or "default: why")."""

    value: Any
    basis: str


@dataclass(frozen=True)
class Deployment:
    """The accelerator-dependent values a plan uses, each with its basis."""

    scaleup_domain: Setting
    scaleout_gbit_s: Setting
    tdp_w_per_gpu: Setting
    server_overhead_factor: Setting
    rack_kw: Setting
    cooling: Setting
    price_usd_per_gpu: Setting

    def rows(self) -> list[tuple[str, Any, str]]:
        """(name, value, basis) for every setting, in field order; SCENARIO_FIELDS[name] overrides it."""
        return [(f.name, getattr(self, f.name).value, getattr(self, f.name).basis) for f in fields(self)]


def _pick(given: Any, from_catalog: Any, key: str, fallback: Any = None, why: str = "") -> Setting:
    if given is not None:
        return Setting(given, "given in scenario")
    if from_catalog is not None:
        return Setting(from_catalog, f"catalog ({key})")
    return Setting(fallback, f"default: {why}" if fallback is not None else f"not published for {key}")


def resolve_deployment(scenario: Scenario, acc: Accelerator) -> Deployment:
    """The deployment of ``acc`` (the per-GPU catalog entry) with the scenario's overrides."""
    cl, fa, key = scenario.cluster, scenario.facility, acc.key
    tdp = None if acc.tdp_w is None else acc.tdp_w / acc.gpus_per_unit
    tdp_setting = _pick(fa.accelerator_tdp_w, tdp, key)
    power = tdp_setting.value
    cooling_fallback = "liquid" if power is not None and power >= LIQUID_FROM_TDP_W else "air"
    cooling = _pick(fa.cooling, acc.cooling, key, cooling_fallback,
                    f"{cooling_fallback} ({'>=' if cooling_fallback == 'liquid' else '<'} "
                    f"{LIQUID_FROM_TDP_W:,.0f} W per accelerator)")
    price = None if acc.price_usd is None else acc.price_usd / acc.gpus_per_unit
    return Deployment(
        scaleup_domain=_pick(cl.scaleup_domain, acc.scaleup_domain, key),
        scaleout_gbit_s=_pick(cl.scaleout_gbit_s, acc.scaleout_gbit_s, key, 0.0, "no scale-out NIC"),
        tdp_w_per_gpu=tdp_setting,
        server_overhead_factor=_pick(fa.server_overhead_factor, acc.server_overhead_factor, key,
                                     FALLBACK_SERVER_OVERHEAD, "typical 8-accelerator server"),
        rack_kw=_pick(fa.rack_kw, acc.rack_kw, key, FALLBACK_RACK_KW[cooling.value],
                      f"typical {cooling.value}-cooled rack"),
        cooling=cooling,
        price_usd_per_gpu=_pick(cl.price_usd_per_gpu, price, key),
    )


def _accelerator_tokens(key: str) -> str:
    """The name an accelerator goes by in prose: its key less memory/form-factor suffixes."""
    return re.sub(r"-(sxm|superchip|\d+gb)$", "", key)


def check_source_notes(scenario: Scenario, acc: Accelerator) -> None:
    """Refuse a source note of an accelerator-dependent field that names another accelerator."""
    own = _accelerator_tokens(acc.key)
    others = {_accelerator_tokens(k) for k in catalog.accelerators()} - {own}
    for field in SCENARIO_FIELDS.values():
        note = scenario.sources.get(field)
        if not note:
            continue
        for token in sorted(others, key=len, reverse=True):
            pattern = r"(?<![A-Za-z0-9])" + re.escape(token).replace(r"\-", "[- ]?") + r"(?![A-Za-z0-9])"
            if re.search(pattern, note, flags=re.IGNORECASE):
                raise InputError(f"sources.{field}", note[:80],
                                 f"names {token.upper()} but the cluster is {acc.key}: update or remove the note")
