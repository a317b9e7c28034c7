"""A build-out programme: campuses, phases, chips and the distributions of what can go wrong."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stargate import catalog
from stargate.errors import InputError
from stargate.inputs import decode, parse_toml, pydantic_problem, read_text


class _Strict(BaseModel):
    # strict: no bool-as-number; finite: `inf` would pass fields bounded only below (chip_supply_a/b)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Phase(_Strict):
    name: str
    start: float = Field(ge=2000, le=2100, description="Construction start [decimal year]")
    duration_yr: float | None = Field(default=None, gt=0, le=30, description="Planned build time [yr]")
    online: float | None = Field(default=None, ge=2000, le=2100,
                                 description="Reported online at this date [decimal year]: a fact, not sampled")
    mw: float = Field(ge=0.01, le=100_000, description="Facility power of the phase [MW]")
    buildings: int = Field(default=1, ge=1, le=1000,
                           description="Energised one at a time, evenly spaced from first_online to the finish")
    first_online: float | None = Field(default=None, ge=2000, le=2100,
                                       description="Planned date the first building energises [decimal year]")

    @model_validator(mode="after")
    def _dated(self) -> Phase:
        if self.online is None and self.duration_yr is None:
            raise ValueError("give duration_yr (planned) or online (reported online date)")
        if self.online is not None and self.online <= self.start:
            raise ValueError("online must be after start")
        if self.online is not None and self.buildings > 1:
            raise ValueError("a phase reported online is one event: give its buildings as phases of their own")
        if self.first_online is not None and not self.start < self.first_online <= self.end:
            raise ValueError("first_online must lie after start and no later than the phase's finish")
        return self

    @property
    def end(self) -> float:
        """The reported online date, else the planned one (start + duration) [decimal year]."""
        return self.online if self.online is not None else self.start + self.duration_yr

    @property
    def planned_duration_yr(self) -> float:
        return self.end - self.start

    @property
    def first_duration_yr(self) -> float:
        """Planned time to the first building (the whole phase when it energises at once) [yr]."""
        return (self.first_online if self.first_online is not None else self.end) - self.start


class Campus(_Strict):
    name: str
    accelerator: str
    interconnection: bool = Field(True, description="Needs a new grid connection (queue wait); false = off-grid")
    power: str = Field("", description="Grid, or on-site gas (off-grid microgrid), with the utility")
    gpus_per_mw: float | None = Field(default=None, ge=0.01, le=100_000, description="Overrides the programme's")
    gpus_basis: str = ""
    optional: bool = Field(False, description="Proposal or uncertain: counted only with include_optional")
    status: str = ""
    phases: list[Phase] = Field(min_length=1)
    sources: list[str] = []

    @field_validator("accelerator")
    @classmethod
    def _known(cls, key: str) -> str:
        if key not in catalog.accelerators():
            raise ValueError("unknown accelerator")
        return key

    @model_validator(mode="after")
    def _no_overlap(self) -> Campus:
        for a, b in zip(self.phases, self.phases[1:], strict=False):
            if b.start < a.start:
                raise ValueError(f"phase '{b.name}' starts before phase '{a.name}': list phases in order")
            if b.end <= a.end:
                raise ValueError(f"phase '{b.name}' lies within phase '{a.name}' (overlapping phases)")
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise ValueError(f"phase names repeat: {names}")
        if "off-grid" in self.power.lower() and self.interconnection:
            raise ValueError("an off-grid campus has no interconnection wait: set interconnection = false")
        return self


class Risks(_Strict):
    # finite, upper-bounded and away from zero: a median of 1e-300 or a beta shape of 1e308 would sample
    # nonsense (or nan) without an error
    construction_median: float = Field(ge=0.01, le=10)
    construction_sigma: float = Field(ge=0, le=3)
    interconnection_median_yr: float = Field(ge=0, le=20)
    interconnection_sigma: float = Field(ge=0, le=3)
    chip_supply_a: float = Field(ge=0.01, le=1000, description="Beta shape a of the share of chips delivered")
    chip_supply_b: float = Field(ge=0.01, le=1000, description="Beta shape b")
    tariff_probability: float = Field(ge=0, le=1)
    tariff_capex_increase: float = Field(ge=0, le=5)
    overrun_median: float = Field(ge=0.01, le=10)
    overrun_sigma: float = Field(ge=0, le=3)
    sources: list[str] = []


class Programme(_Strict):
    name: str
    start_year: float = Field(ge=2000, le=2100)
    end_year: float = Field(ge=2000, le=2100)
    gpus_per_mw: float = Field(ge=0.01, le=100_000)
    risks: Risks
    campus: list[Campus] = Field(min_length=1)
    sources: list[str] = []

    @model_validator(mode="after")
    def _window(self) -> Programme:
        if self.end_year <= self.start_year:
            raise ValueError("end_year must be after start_year")
        if all(c.optional for c in self.campus):
            raise ValueError("at least one campus must not be optional")
        return self

    def campuses(self, include_optional: bool = False) -> list[Campus]:
        """The campuses a simulation counts: optional ones (proposals, paused sites) only on request."""
        return [c for c in self.campus if include_optional or not c.optional]

    def gpus_per_mw_of(self, campus: Campus) -> float:
        return campus.gpus_per_mw if campus.gpus_per_mw is not None else self.gpus_per_mw


def programme_from_dict(data: dict) -> Programme:
    """Validate a programme; the first problem is one line naming the campus (if any) and the field."""
    if not isinstance(data, dict):
        raise InputError("programme", data, "must be a table of fields")
    try:
        return Programme.model_validate(data, strict=True)
    except ValidationError as err:
        first = err.errors()[0]
        loc = list(first["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "campus" and isinstance(loc[1], int):
            campuses = data.get("campus", [])
            entry = campuses[loc[1]] if isinstance(campuses, list) and loc[1] < len(campuses) else None
            name = entry.get("name", f"#{loc[1]}") if isinstance(entry, dict) else f"#{loc[1]}"
            where = f"campus '{name}'." + ".".join(str(p) for p in loc[2:])
        value, message = pydantic_problem(first)
        raise InputError(where or "programme", value, message) from None


def load_programme(path: str | Path | None = None) -> Programme:
    """The shipped Stargate programme, or a programme file in the same format."""
    if path is None:
        name = "stargate_programme.toml"
        text = decode(resources.files("stargate.roadmap").joinpath(name).read_bytes(), "programme file", name)
    else:
        name = str(path)
        text = read_text(path, "programme file", "must be an existing TOML file")
    return programme_from_dict(parse_toml(text, "programme file", name))
