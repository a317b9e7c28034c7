"""Claims as data: pydantic models per kind of claim, loaded from TOML with one-line errors."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from stargate import catalog
from stargate.errors import MISSING, InputError
from stargate.inputs import decode, parse_toml, pydantic_problem, read_text

# strict (no bool-as-number, no "12" as a number) and finite: `inf` would pass fields bounded only below
_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

# Every number has a unit and a range, so that no claim can make a check divide by zero, overflow to inf
# or print nan: bounds far outside any real claim, but finite and away from zero.
Count = Annotated[int, Field(ge=1, le=100_000_000)]                 # accelerators (the scenario's cluster.count)
Chips = Annotated[float, Field(ge=1, le=1e10)]                      # accelerators, as a claimed figure
FlopS = Annotated[float, Field(ge=1, le=1e30)]                      # FLOP/s (a zettaFLOPS is 1e21)
Hours = Annotated[float, Field(ge=1e-3, le=1e7)]
Days = Annotated[float, Field(ge=1e-4, le=1e6)]
MW = Annotated[float, Field(ge=1e-3, le=1e8)]                       # 1 kW to 100 TW
GW = Annotated[float, Field(ge=1e-6, le=1e5)]
TWh = Annotated[float, Field(ge=1e-6, le=1e7)]
Wh = Annotated[float, Field(ge=1e-9, le=1e9)]
Ratio = Annotated[float, Field(ge=1e-9, le=1e9)]
Fraction = Annotated[float, Field(ge=1e-6, le=1)]
USD = Annotated[float, Field(ge=1e-2, le=1e16)]
Year = Annotated[int, Field(ge=1900, le=2200)]
Campuses = Annotated[int, Field(ge=1, le=100_000)]


def _accelerator(key: str) -> str:
    if key not in catalog.accelerators():
        raise ValueError(f"unknown accelerator; one of {', '.join(sorted(catalog.accelerators()))}")
    return key


def _model(key: str) -> str:
    if key not in catalog.models():
        raise ValueError(f"unknown model; one of {', '.join(sorted(catalog.models()))}")
    return key


Accelerator = Annotated[str, AfterValidator(_accelerator)]
Model = Annotated[str, AfterValidator(_model)]


class _Claim(BaseModel):
    model_config = _CONFIG
    text: str
    sources: list[str] = Field(min_length=1)


class _Updated(_Claim):
    facts_changed: list[str] = []   # what later reporting changed (each with its source); shown in the output


class PeakFlops(_Claim):
    kind: Literal["peak_flops"]
    accelerator: Accelerator
    count: Count
    precision: Literal["bf16", "fp16", "fp8", "fp4"] = "bf16"
    claimed_flop_s: FlopS


class TrainingTime(_Claim):
    kind: Literal["training_time"]
    model: Model
    proxy_model: Model | None = None
    accelerator: Accelerator
    count: Count
    claimed_hours: Hours
    reference_accelerator: Accelerator | None = None
    reference_count: Count | None = None
    reference_days: Days | None = None


class ChipCount(_Updated):
    kind: Literal["chip_count"]
    claimed_count: Chips
    campus_gpus: Chips
    campus_mw: MW
    programme_gw_low: GW
    programme_gw_high: GW


class CampusPower(_Claim):
    kind: Literal["campus_power"]
    accelerator: Accelerator
    count: Count
    claimed_mw: MW


class ProgrammePower(_Updated):
    kind: Literal["programme_power"]
    claimed_mw: MW
    campus_mw: MW
    campuses_planned: Campuses
    planned_2025_mw: MW
    secured_mw: MW | None = None
    us_sites: Campuses | None = None
    us_sites_mw: MW | None = None


class NuclearEquivalence(_Claim):
    kind: Literal["nuclear_equivalence"]
    claimed_mw: MW
    datacentre_utilisation: Fraction
    reactor_capacity_factor: Fraction


class EnergyShare(_Updated):
    kind: Literal["energy_share"]
    base_twh: TWh
    projection_low_twh: TWh
    projection_base_twh: TWh
    projection_high_twh: TWh
    country_twh: TWh
    claim_year: Year | None = None
    update_base_twh: TWh | None = None     # a later projection: base year and value
    update_base_year: Year | None = None
    update_projection_twh: TWh | None = None
    update_projection_year: Year | None = None

    @model_validator(mode="after")
    def _years_apart(self) -> EnergyShare:
        if (self.update_base_year is not None and self.update_projection_year is not None
                and self.update_projection_year <= self.update_base_year):
            raise ValueError("update_projection_year must be after update_base_year")
        return self


class QueryEnergy(_Claim):
    kind: Literal["query_energy"]
    claimed_ratio: Ratio
    search_wh: Wh
    published_query_wh: list[Wh] = Field(min_length=1)


class Budget(BaseModel):
    model_config = _CONFIG
    usd: USD
    gw: GW | None = None
    what: str


class Cost(_Updated):
    kind: Literal["cost"]
    claimed_usd: list[USD] = Field(min_length=1)
    accelerator: Accelerator = "gb200"                             # its catalog price is the economics stage's
    chips_usd_per_gpu: USD | None = None                           # override of the catalog price
    gpus_per_gw: Chips
    site_usd_per_mw: USD | None = None                             # default: the economics stage's
    programme_gw: list[GW] = Field(min_length=1)
    published_usd_per_rack: dict[str, USD] = {}                    # per scale-up rack (NVL72)
    published_usd_per_gpu: dict[str, USD] = {}                     # per GPU, taken as all-in
    published_usd_per_gw: dict[str, USD] = {}
    later_budgets: list[Budget] = []

    @model_validator(mode="after")
    def _priced(self) -> Cost:
        if self.chips_usd_per_gpu is None and catalog.accelerator(self.accelerator).price_usd is None:
            raise ValueError(f"{self.accelerator} has no catalog price: give chips_usd_per_gpu")
        return self


class Facts(_Updated):
    kind: Literal["facts"]
    verdict: Literal["holds", "holds_only_if", "does_not_hold"]
    condition: str = ""
    facts: list[str] = Field(min_length=1)


Claim = Annotated[PeakFlops | TrainingTime | ChipCount | CampusPower | ProgrammePower | NuclearEquivalence
                  | EnergyShare | QueryEnergy | Cost | Facts, Field(discriminator="kind")]
_ADAPTER: TypeAdapter = TypeAdapter(Claim)
KINDS = ("peak_flops", "training_time", "chip_count", "campus_power", "programme_power", "nuclear_equivalence",
         "energy_share", "query_energy", "cost", "facts")
_KIND_ERRORS = ("union_tag_invalid", "union_tag_not_found")


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
            if loc and loc[0] == raw.get("kind"):
                loc = loc[1:]  # the kind selects the model; a check across fields has no field of its own
            elif first["type"] in _KIND_ERRORS or not loc:
                loc = ["kind"]
            value, message = pydantic_problem(first)
            if first["type"] in _KIND_ERRORS:
                message = "required: one of " + ", ".join(KINDS) if "kind" not in raw else "one of " + ", ".join(KINDS)
            name = ".".join([f"claim {claim_id}", *loc])
            raise InputError(name, raw.get("kind", MISSING) if loc == ["kind"] else value, message) from None
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
