"""The parameter types: a discriminated union on ``type``, bound to ``@name`` in the queries."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from shared.dashboards.model.vocabulary import NAME_PATTERN, Closed, DateText, Number

# ---------------------------------------------------------------- parameters

ParameterName = Annotated[
    str, Field(pattern=NAME_PATTERN, description="Name used as @name in SQL.", examples=["start_date"])
]
ParameterLabel = Annotated[
    Annotated[str, Field(max_length=120)] | None,
    Field(description="Label of the input control.", examples=["Start date"]),
]


def _parameter_kind(name: str) -> Any:
    return Field(description="Parameter type.", examples=[name])


class _Parameter(Closed):
    name: str
    type: str
    label: str | None = None

    @model_validator(mode="after")
    def _default_label(self) -> _Parameter:
        if self.label is None:
            object.__setattr__(self, "label", self.name.replace("_", " ").capitalize())
        return self

    def bound_names(self) -> tuple[str, ...]:
        """The ``@names`` this parameter binds in SQL."""
        return (self.name,)


class DateParameter(_Parameter):
    """A date parameter."""

    name: ParameterName
    type: Literal["date"] = _parameter_kind("date")
    label: ParameterLabel = None
    default: DateText = Field(
        description="Default date: YYYY-MM-DD or today, today-30d, today-6m.",
        examples=["2024-01-01", "today-30d"],
    )


class DateRange(Closed):
    """Default range; bound as @<name>_start and @<name>_end."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"start": "today-90d", "end": "today"}]})

    start: DateText = Field(description="First day (inclusive).", examples=["2024-01-01", "today-12m"])
    end: DateText = Field(description="Last day (inclusive).", examples=["2024-12-31", "today"])


class DateRangeParameter(_Parameter):
    """A date_range parameter."""

    name: ParameterName
    type: Literal["date_range"] = _parameter_kind("date_range")
    label: ParameterLabel = None
    default: DateRange = Field(
        description="Default range; bound as @<name>_start and @<name>_end.",
        examples=[{"start": "today-90d", "end": "today"}],
    )

    def bound_names(self) -> tuple[str, ...]:
        return (f"{self.name}_start", f"{self.name}_end")


class ValuesFrom(Closed):
    """Where a string parameter's choices come from: the distinct values of one query column."""

    query: str = Field(
        pattern=NAME_PATTERN, description="A query of this dashboard.", examples=["by_country"]
    )
    field: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$",
        description="A column that query returns.",
        examples=["country"],
    )


class StringParameter(_Parameter):
    """A string parameter."""

    name: ParameterName
    type: Literal["string"] = _parameter_kind("string")
    label: ParameterLabel = None
    default: str = Field(max_length=1000, description="Default text.", examples=["United States"])
    values_from: ValuesFrom | None = Field(
        None,
        description="Offer the distinct values of a query column as choices (capped, searchable).",
        examples=[{"query": "by_country", "field": "country"}],
    )


class NumberParameter(_Parameter):
    """A number parameter."""

    name: ParameterName
    type: Literal["number"] = _parameter_kind("number")
    label: ParameterLabel = None
    default: Number = Field(description="Default number.", examples=[10, 0.5])
    integer: bool | None = Field(None, description="Bind as INT64 instead of FLOAT64.", examples=[True])
    min: Number | None = Field(None, description="Smallest allowed value.", examples=[0])
    max: Number | None = Field(None, description="Largest allowed value.", examples=[100])


class EnumParameter(_Parameter):
    """A enum parameter."""

    name: ParameterName
    type: Literal["enum"] = _parameter_kind("enum")
    label: ParameterLabel = None
    default: str | list[str] | None = Field(
        None,
        description="Default option (one of options); with multiple: true, a list of options. "
        "Required unless all: true (then left out, the dashboard opens on All).",
        examples=["Complete", ["Complete", "Shipped"]],
    )
    options: list[str] = Field(
        min_length=1,
        max_length=200,
        json_schema_extra={"uniqueItems": True},
        description="Allowed values.",
        examples=[["Complete", "Shipped"]],
    )
    multiple: bool | None = Field(
        None,
        description="Several options may be chosen: bound as ARRAY<STRING>, written `col IN UNNEST(@name)`.",
        examples=[True],
    )
    all: bool | None = Field(
        None,
        description="Offer an All choice (single choice only): All binds NULL, so write "
        "`(@name IS NULL OR col = @name)`; an empty value in the query string chooses it.",
        examples=[True],
    )


Parameter = Annotated[
    DateParameter | DateRangeParameter | StringParameter | NumberParameter | EnumParameter,
    Field(discriminator="type"),
]
