"""Catalogue tables (private to the domain; other domains use catalogue.public)."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from jeugdregio import db  # noqa: F401  (naming convention)


class CareProfile(SQLModel, table=True):
    """One of a region's care profiles (zorgprofielen). Names of profiles 3–10 are illustrative in demo data."""

    __tablename__ = "catalogue_care_profile"
    __table_args__ = (UniqueConstraint("region_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    number: int
    name: str = Field(max_length=200)
    description: str = ""
    complexity: str = Field(default="low", max_length=10)  # low | high
    illustrative: bool = False  # True when the name is not the region's published name
