"""The models list: importing this registers every table on the shared metadata (Alembic, tests)."""

from catalogue import models as catalogue_models
from contracts import models as contracts_models
from invoicing import models as invoicing_models
from jeugdregio import tables
from jeugdregio.db import metadata
from quality import models as quality_models

__all__ = ["catalogue_models", "contracts_models", "invoicing_models", "metadata", "quality_models", "tables"]
