"""The base of every file format har-edge reads (bundle metadata, agent config): unknown keys are
an error, so that a misspelt field is named instead of silently ignored."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
