"""Claims as data: pydantic models per kind of claim, loaded from TOML with one-line errors."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from stargate.errors import InputError
from stargate.inputs import decode, parse_toml, pydantic_problem, read_text

# strict (no bool-as-number, no "12" as a number) and finite: `inf` would pass fields bounded only below
_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class _Claim(BaseModel):
    model_config = _CONFIG
    text: str
    sources: list[str] = Field(min_length=1)


class _Updated(_Claim):
    facts_changed: list[str] = []   # what later reporting changed (each with its source); shown in the output


class PeakFlops(_Claim):
    kind: Literal["peak_flops"]
    accelerator: str
    count: int = Field(ge=1)
    precision: Literal["bf16", "fp16", "fp8", "fp4"] = "bf16"
    claimed_flop_s: float = Field(gt=0)


class TrainingTime(_Claim):
    kind: Literal["training_time"]
    model: str
    proxy_model: str | None = None
    accelerator: str
    count: int = Field(ge=1)
    claimed_hours: float = Field(gt=0)
    reference_accelerator: str | None = None
    reference_count: int | None = Field(default=None, ge=1)
    reference_days: float | None = Field(default=None, gt=0)


class ChipCount(_Updated):
    kind: Literal["chip_count"]
    claimed_count: float = Field(gt=0)
    campus_gpus: float = Field(gt=0)
    campus_mw: float = Field(gt=0)
    programme_gw_low: float = Field(gt=0)
    programme_gw_high: float = Field(gt=0)


class CampusPower(_Claim):
    kind: Literal["campus_power"]
    accelerator: str
    count: int = Field(ge=1)
    claimed_mw: float = Field(gt=0)


class ProgrammePower(_Updated):
    kind: Literal["programme_power"]
    claimed_mw: float = Field(gt=0)
    campus_mw: float = Field(gt=0)
    campuses_planned: int = Field(ge=1)
    planned_2025_mw: float = Field(gt=0)
    secured_mw: float | None = Field(default=None, gt=0)
    us_sites: int | None = Field(default=None, ge=1)
    us_sites_mw: float | None = Field(default=None, gt=0)


class NuclearEquivalence(_Claim):
    kind: Literal["nuclear_equivalence"]
    claimed_mw: float = Field(gt=0)
    datacentre_utilisation: float = Field(gt=0, le=1)
    reactor_capacity_factor: float = Field(gt=0, le=1)


class EnergyShare(_Updated):
    kind: Literal["energy_share"]
    base_twh: float = Field(gt=0)
    projection_low_twh: float = Field(gt=0)
    projection_base_twh: float = Field(gt=0)
    projection_high_twh: float = Field(gt=0)
    country_twh: float = Field(gt=0)
    claim_year: int | None = None
    update_base_twh: float | None = Field(default=None, gt=0)     # a later projection: base year and value
    update_base_year: int | None = None
    update_projection_twh: float | None = Field(default=None, gt=0)
    update_projection_year: int | None = None


class QueryEnergy(_Claim):
    kind: Literal["query_energy"]
    claimed_ratio: float = Field(gt=0)
    search_wh: float = Field(gt=0)
    published_query_wh: list[float] = Field(min_length=1)


class Budget(BaseModel):
    model_config = _CONFIG
    usd: float = Field(gt=0)
    gw: float | None = Field(default=None, gt=0)
    what: str


class Cost(_Updated):
    kind: Literal["cost"]
    claimed_usd: list[float] = Field(min_length=1)
    accelerator: str = "gb200"                                     # its catalog price is the economics stage's
    chips_usd_per_gpu: float | None = Field(default=None, gt=0)    # override of the catalog price
    gpus_per_gw: float = Field(gt=0)
    site_usd_per_mw: float | None = Field(default=None, gt=0)      # default: the economics stage's
    programme_gw: list[float] = Field(min_length=1)
    published_usd_per_rack: dict[str, float] = {}                  # per scale-up rack (NVL72)
    published_usd_per_gpu: dict[str, float] = {}                   # per GPU, taken as all-in
    published_usd_per_gw: dict[str, float] = {}
    later_budgets: list[Budget] = []


class Facts(_Updated):
    kind: Literal["facts"]
    verdict: Literal["holds", "holds_only_if", "does_not_hold"]
    condition: str = ""
    facts: list[str] = Field(min_length=1)


Claim = Annotated[PeakFlops | TrainingTime | ChipCount | CampusPower | ProgrammePower | NuclearEquivalence
                  | EnergyShare | QueryEnergy | Cost | Facts, Field(discriminator="kind")]
_ADAPTER: TypeAdapter = TypeAdapter(Claim)


def claims_from_dict(data: dict) -> dict[str, Claim]:
    """Validate ``{id: {...}}``; the first problem becomes one line naming the claim and the field."""
    out = {}
    for claim_id, raw in data.items():
        if not isinstance(raw, dict):
            raise InputError(f"claim {claim_id}", raw, "must be a table of fields")
        try:
            out[claim_id] = _ADAPTER.validate_python(raw, strict=True)
        except ValidationError as err:
            first = err.errors()[0]
            loc = [str(p) for p in first["loc"]]
            field = ".".join(loc[1:] if len(loc) > 1 and loc[0] == raw.get("kind") else loc) or "kind"
            value, message = pydantic_problem(first)
            raise InputError(f"claim {claim_id}.{field}", value, message) from None
    return out


def load_claims(path: str | Path | None = None) -> dict[str, Claim]:
    """The shipped claims C1-C12, or a user's claim file in the same format."""
    if path is None:
        name = "claims.toml"
        text = decode(resources.files("stargate.claims").joinpath(name).read_bytes(), "claim file", name)
    else:
        name = str(path)
        text = read_text(path, "claim file", "must be an existing TOML file")
    data = parse_toml(text, "claim file", name)
    if not data:
        raise InputError("claim file", name, "has no claims")
    return claims_from_dict(data)
