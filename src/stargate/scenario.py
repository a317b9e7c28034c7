"""Scenario: the single validated input, as pydantic v2 models loaded from TOML or YAML.

Every numeric field carries its unit in its name and a validated range; unknown keys are errors.
:func:`load_scenario` turns any failure (malformed file, unknown key, wrong type, out of range,
unknown catalog key) into an :class:`~stargate.errors.InputError` with a one-line message.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stargate import catalog
from stargate.errors import InputError
from stargate.frontier import DEFAULT_BATCH_LAW, DEFAULT_COMPUTE_LAW, batch_laws, compute_laws
from stargate.inputs import load_mapping, pydantic_problem
from stargate.supply_section import SupplySection


class _Section(BaseModel):
    # strict: `count = true` (or YAML `yes`) is not 1 and "450000" is not a number; ints stay valid floats
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


SOFTWARE_DATE = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
SOFTWARE_YEARS = (2010, 2100)


def check_software_date(value: object) -> str:
    """``value`` if it is a month ``"YYYY-MM"`` (years :data:`SOFTWARE_YEARS`), else ValueError saying so."""
    match = SOFTWARE_DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None or not SOFTWARE_YEARS[0] <= int(match[1]) <= SOFTWARE_YEARS[1]:
        raise ValueError(f'must be a month as a string "YYYY-MM" (e.g. "2026-06"), years {SOFTWARE_YEARS[0]}-'
                         f"{SOFTWARE_YEARS[1]}; default: today")
    return value


class ModelShape(_Section):
    """A transformer shape given inline instead of a catalog model."""

    name: str = "custom"
    layers: int = Field(ge=1, le=10_000)
    hidden: int = Field(ge=1, le=1_000_000)
    heads: int = Field(ge=1, le=10_000)
    kv_heads: int | None = Field(default=None, ge=1, le=10_000)
    ffn_hidden: int = Field(ge=1, le=10_000_000)
    vocab: int = Field(ge=1, le=10_000_000)
    glu: bool = True
    experts: int = Field(default=0, ge=0, le=100_000)
    top_k: int = Field(default=0, ge=0, le=1_000)
    shared_experts: int = Field(default=0, ge=0, le=100)
    moe_ffn_hidden: int = Field(default=0, ge=0, le=10_000_000)
    dense_layers: int = Field(default=0, ge=0, le=10_000)
    node_limit: int = Field(default=0, ge=0, le=100_000,
                            description="MoE router: nodes a token may be routed to (DeepSeek-V3: 4); 0 = unlimited")


class WorkloadSection(_Section):
    """What is trained: a catalog model, an inline shape, or a frontier run sized by the scaling laws.

    A frontier run gives no model or shape but one of ``training_flop`` (a compute budget),
    ``params_b`` (a model size) or ``run_days`` (the largest run that trains in that many days on the
    cluster, failures included); its shape, tokens and batch come from ``scaling_law`` and ``batch_law``
    (stargate.frontier).
    """

    model: str | None = Field(default=None, description="Catalog key (stargate.catalog.models)")
    shape: ModelShape | None = None
    training_tokens: float | None = Field(default=None, gt=0, le=1e16)
    # lower bounds: the laws are fitted from ~1e18 FLOP (~0.1B parameters) and the smallest dense shape is
    # ~0.02B; far below, a frontier run came out larger than asked, or as a "0B" model with a 0-token batch
    training_flop: float | None = Field(default=None, ge=1e18, le=1e32,
                                        description="Compute budget; overrides 6ND [FLOP]")
    params_b: float | None = Field(default=None, ge=0.1, le=1e6, description="Frontier run of this size [billions]")
    run_days: float | None = Field(default=None, gt=0, le=3650,
                                   description="Frontier run sized to train in this many days, with failures")
    scaling_law: str = Field(default=DEFAULT_COMPUTE_LAW, description="Compute-optimal law (frontier runs)")
    batch_law: str = Field(default=DEFAULT_BATCH_LAW, description="Global-batch law (runs without a published batch)")
    max_batch_tokens: float | None = Field(default=None, gt=0, le=1e10,
                                           description="Cap on the law's batch; default: largest published")
    precision: Literal["bf16", "fp16", "fp8", "fp4"] = "bf16"
    seq_len: int | None = Field(default=None, ge=1, le=10_000_000)
    global_batch_tokens: float | None = Field(
        default=None, gt=0, le=1e10,
        description="Tokens per step; default: the model's published batch, else the batch law's")
    software_date: str | None = Field(
        default=None, description='Software release the run trains with, "YYYY-MM" (the step model\'s per-family '
        "software trend, flat after the family's latest measured date); default: today")

    @field_validator("software_date", mode="before")
    @classmethod
    def _month(cls, value: object) -> object:
        return None if value is None else check_software_date(value)

    @field_validator("model")
    @classmethod
    def _known_model(cls, key: str | None) -> str | None:
        if key is not None and key not in catalog.models():
            raise ValueError(f"unknown model; one of {', '.join(sorted(catalog.models()))}")
        return key

    @field_validator("scaling_law", "batch_law")
    @classmethod
    def _known_law(cls, key: str, info: ValidationInfo) -> str:
        laws = compute_laws() if info.field_name == "scaling_law" else batch_laws()
        if key not in laws:
            raise ValueError(f"unknown law; one of {', '.join(sorted(laws))}")
        return key

    @property
    def is_frontier(self) -> bool:
        """Sized by the scaling laws (no model, no shape)."""
        return self.model is None and self.shape is None

    @model_validator(mode="after")
    def _one_source(self) -> WorkloadSection:
        if self.model is not None and self.shape is not None:
            raise ValueError("give workload.model or workload.shape, not both")
        sizes = [k for k in ("training_flop", "params_b", "run_days") if getattr(self, k) is not None]
        if self.is_frontier:
            if len(sizes) != 1:
                raise ValueError("give workload.model, workload.shape, or exactly one of training_flop, params_b, "
                                 "run_days (a frontier run)")
            if self.training_tokens is not None:
                raise ValueError("a frontier run's tokens come from workload.scaling_law: remove training_tokens")
        elif frontier_only := [k for k in sizes if k != "training_flop"]:
            raise ValueError(f"workload.{frontier_only[0]} sizes a frontier run: remove workload.model/shape to use it")
        if (self.training_tokens is not None and self.global_batch_tokens is not None
                and self.training_tokens < self.global_batch_tokens):
            raise ValueError(f"workload.training_tokens ({self.training_tokens:g}) is less than one step of "
                             f"global_batch_tokens ({self.global_batch_tokens:g}): a run is at least one step")
        return self


class ClusterSection(_Section):
    """The accelerators the job runs on."""

    accelerator: str = Field(description="Catalog key (stargate.catalog.accelerators)")
    count: int = Field(ge=1, le=100_000_000, description="Number of units (see `unit`)")
    unit: Literal["gpu", "superchip"] = Field(
        default="gpu", description="What `count` counts: GPUs (or chips) or 2-GPU superchips")
    scaleup_domain: int | None = Field(default=None, ge=1, le=1_000_000, description="GPUs per NVLink domain")
    scaleout_gbit_s: float | None = Field(default=None, gt=0, le=100_000, description="NIC Gb/s per GPU")
    placement: Literal["aligned", "packed"] = Field(
        default="aligned", description="Ranks per scale-up domain: a power of two (aligned: 64 of an NVL72) or all")
    price_usd_per_gpu: float | None = Field(default=None, gt=0, le=10_000_000,
                                            description="Purchase price per GPU/chip; default: catalog")

    @field_validator("accelerator")
    @classmethod
    def _known_accelerator(cls, key: str) -> str:
        if key not in catalog.accelerators():
            raise ValueError(f"unknown accelerator; one of {', '.join(sorted(catalog.accelerators()))}")
        return key


class PerformanceSection(_Section):
    """How fast the job runs. ``mfu`` given = use it; absent = predicted with the best parallel layout.

    Layout fields, when given, pin that part of the layout for the search (tensor, pipeline, data,
    context, expert parallel sizes, virtual stages, micro-batch, recomputation, ZeRO stage).
    """

    mfu: float | None = Field(default=None, gt=0, le=1, description="Model FLOPs utilisation [fraction]")
    tp: int | None = Field(default=None, ge=1, le=1024)
    pp: int | None = Field(default=None, ge=1, le=1024)
    dp: int | None = Field(default=None, ge=1, le=10_000_000)
    cp: int | None = Field(default=None, ge=1, le=1024)
    ep: int | None = Field(default=None, ge=1, le=100_000)
    vpp: int | None = Field(default=None, ge=1, le=64)
    micro_batch: int | None = Field(default=None, ge=1, le=4096)
    recompute: Literal["none", "selective", "full"] | None = None
    zero: int | None = Field(default=None, ge=0, le=4,
                             description="0 none, 1 distributed optimizer, 2, 3 FSDP, 4 hybrid FSDP (HSDP)")

    def fixed_layout(self) -> dict[str, int]:
        """The pinned layout fields in the search's vocabulary."""
        out = {k: getattr(self, k) for k in ("tp", "pp", "dp", "cp", "ep", "vpp", "zero") if getattr(self, k)
               is not None}
        if self.micro_batch is not None:
            out["mb"] = self.micro_batch
        if self.recompute is not None:
            out["recompute"] = {"none": 0, "selective": 1, "full": 2}[self.recompute]
        return out


class FacilitySection(_Section):
    """Power of the site around the accelerators."""

    server_overhead_factor: float | None = Field(
        default=None, ge=1, le=5,
        description="Server/rack power / accelerator TDP (CPUs, memory, NICs, fans); default: catalog")
    it_overhead_factor: float | None = Field(
        default=None, ge=1, le=3, description="All IT / server power (switches, storage); default: catalog, 1.14")
    pue: float | None = Field(default=None, ge=1, le=3,
                              description="Facility power / IT power; default: from cooling and the site's climate")
    cooling: Literal["liquid", "air"] | None = Field(default=None, description="default: catalog")
    utilisation: float = Field(default=0.8, ge=0, le=1, description="Mean load over the year / nameplate")
    training_power_fraction: float = Field(
        default=0.76, gt=0, le=1, description="Average draw in training / nameplate (DGX H100: <= 76 %)")
    idle_power_fraction: float = Field(
        default=0.25, ge=0, le=1, description="Draw of an idle cluster / nameplate (assumption)")
    inference_share: float = Field(default=0.0, ge=0, le=1, description="Share of IT capacity serving inference")
    rack_kw: float | None = Field(default=None, gt=0, le=2000, description="IT power per rack; default: catalog")
    wue_l_per_kwh: float | None = Field(default=None, ge=0, le=20, description="Site water per IT kWh")
    accelerator_tdp_w: float | None = Field(
        default=None, gt=0, le=10_000, description="Power per GPU/chip where the catalog has none (TPU, Trainium)")
    reported_capacity_mw: float | None = Field(default=None, gt=0, le=1e6)


class SiteSection(_Section):
    name: str = "site"
    lat_deg: float = Field(default=32.45, ge=-90, le=90)
    lon_deg: float = Field(default=-99.73, ge=-180, le=180)
    grid_region: str = "ERCOT"


class Scenario(_Section):
    """One planning scenario: the single input of :func:`stargate.plan`."""

    name: str = "scenario"
    description: str = ""
    workload: WorkloadSection
    cluster: ClusterSection
    performance: PerformanceSection = PerformanceSection()
    facility: FacilitySection = FacilitySection()
    site: SiteSection = SiteSection()
    supply: SupplySection = SupplySection()
    sources: dict[str, str] = Field(default_factory=dict, description="Where each input comes from")


def _format_validation_error(err: ValidationError, data: dict[str, Any]) -> InputError:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "scenario"
    value, message = pydantic_problem(first, unknown="unknown key (not allowed)")
    return InputError(field, value, message)


def scenario_from_dict(data: dict[str, Any]) -> Scenario:
    """Validate a mapping into a :class:`Scenario`; errors become one-line :class:`InputError`."""
    if not isinstance(data, dict):
        raise InputError("scenario", data, "must be a mapping of sections")
    try:
        return Scenario.model_validate(data, strict=True)
    except ValidationError as err:
        raise _format_validation_error(err, data) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario from a ``.toml``, ``.yaml`` or ``.yml`` file."""
    return scenario_from_dict(load_mapping(path, "scenario file"))


DEFAULT_SCENARIO = "abilene.toml"


def default_scenario_text() -> str:
    """The embedded default scenario (Stargate Abilene) as TOML text, with its comments."""
    return resources.files("stargate.scenarios").joinpath(DEFAULT_SCENARIO).read_text(encoding="utf-8")


def default_scenario() -> Scenario:
    """The embedded default scenario, validated."""
    return scenario_from_dict(tomllib.loads(default_scenario_text()))


def scenario_to_toml(scenario: Scenario) -> str:
    """Serialise a scenario to TOML (round-trips through :func:`scenario_from_dict`)."""
    return tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True))
