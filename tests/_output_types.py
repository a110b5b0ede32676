"""The output types the structured-output tests share: a response format and two tools."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["GetWeather", "GetWeatherArgs", "Location"]


class Location(msgspec.Struct):
    city: str
    temperature: float
    units: Literal["c", "f"]


class GetWeather(msgspec.Struct):
    """Get the current weather for a city."""

    city: str
    country: str | None = None


class GetWeatherArgs(msgspec.Struct):
    city: str
    country: str
    units: Literal["c", "f"] = "c"
