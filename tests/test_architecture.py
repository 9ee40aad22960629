"""Guards on the layout: the source root, the domain boundaries, tenancy and money columns."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from sqlalchemy import BigInteger, UniqueConstraint

ROOT = Path(__file__).resolve().parents[1]
PLATFORM = ROOT / "platform"
DOMAINS = ("catalogue", "contracts", "invoicing", "quality")
GLOBAL_TABLES = {"jeugdregio_region", "jeugdregio_user", "jeugdregio_web_session", "jeugdregio_login_attempt"}
# unique across all regions on purpose (docs/architecture.md, "Data rules"): a token is looked up by its hash
# before anyone knows the region
GLOBAL_UNIQUE = {("jeugdregio_api_token", ("token_hash",))}


def test_platform_is_not_a_package() -> None:
    assert not (PLATFORM / "__init__.py").exists(), "platform/ is a source root, never a package"


def test_import_platform_is_the_standard_library() -> None:
    import platform

    assert hasattr(platform, "python_version")
    import sysconfig

    assert Path(platform.__file__).parent == Path(sysconfig.get_paths()["stdlib"])
    assert "site-packages" not in platform.__file__


def test_domains_import_each_other_only_through_public() -> None:
    offenders = []
    for domain in DOMAINS:
        for path in (PLATFORM / domain).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                for name in names:
                    top, _, rest = name.partition(".")
                    if top in DOMAINS and top != domain and rest and not rest.startswith("public"):
                        offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def _tables() -> dict[str, object]:
    from jeugdregio.all_models import metadata

    return dict(metadata.tables)


def test_every_tenant_table_carries_region_id() -> None:
    missing = [name for name, t in _tables().items() if name not in GLOBAL_TABLES and "region_id" not in t.c]  # type: ignore[attr-defined]
    assert not missing, f"tables without region_id: {missing}"


def test_unique_constraints_of_tenant_tables_include_region_id() -> None:
    """ARCHITECTURE §3: unique constraints and unique indexes include region_id (primary keys aside)."""
    offenders = []
    for name, table in _tables().items():
        if name in GLOBAL_TABLES:
            continue
        uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint)]  # type: ignore[attr-defined]
        uniques += [i for i in table.indexes if i.unique]  # type: ignore[attr-defined]
        for unique in uniques:
            columns = tuple(c.name for c in unique.columns)
            if "region_id" not in columns and (name, columns) not in GLOBAL_UNIQUE:
                offenders.append(f"{name} {columns}")
    assert not offenders, f"unique without region_id: {offenders}"


def test_tables_are_prefixed_by_their_owning_domain() -> None:
    for name in _tables():
        assert name.split("_", 1)[0] in {"jeugdregio", *DOMAINS}, name


def test_money_columns_are_bigint_cents() -> None:
    for name, table in _tables().items():
        for column in table.c:  # type: ignore[attr-defined]
            if column.name.endswith("_cents"):
                assert isinstance(column.type, BigInteger), f"{name}.{column.name} must be BIGINT cents"


def test_no_module_named_platform_is_shadowed() -> None:
    assert "platform" not in {p.name for p in PLATFORM.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert sys.modules["platform"].__name__ == "platform"
