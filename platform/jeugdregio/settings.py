"""Settings from the environment. One frozen object, read once per process."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


def _data_dir() -> Path:
    return Path(os.environ.get("JEUGDREGIO_DATA_DIR", Path.cwd() / ".jeugdregio")).resolve()


def _secret(name: str, data_dir: Path) -> str:
    """A secret from the environment, or one generated once and kept in the data folder (demo, tests)."""
    value = os.environ.get(name)
    if value:
        return value
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"{name.lower()}.secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    secret_key: str
    pseudonym_key: str
    allowed_hosts: list[str] = field(default_factory=list)
    cookie_secure: bool = True
    session_hours: int = 8
    login_max_failures: int = 5
    public_requests_per_minute: int = 300  # per client address per worker on public search; 0 = off
    login_window_minutes: int = 15
    trusted_proxies: list[str] = field(default_factory=list)
    mail_from: str = "noreply@jeugdregio.example"
    base_url: str = "http://127.0.0.1:8000"
    search_cache_mb: int = 256  # per worker: rendered public search pages (3/4) and API bodies (1/4)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = _data_dir()
    hosts = os.environ.get("JEUGDREGIO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver.local")
    proxies = os.environ.get("JEUGDREGIO_TRUSTED_PROXIES", "")
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or None,
        data_dir=data_dir,
        secret_key=_secret("JEUGDREGIO_SECRET_KEY", data_dir),
        pseudonym_key=_secret("JEUGDREGIO_PSEUDONYM_KEY", data_dir),
        allowed_hosts=[h.strip() for h in hosts.split(",") if h.strip()],
        cookie_secure=os.environ.get("JEUGDREGIO_COOKIE_SECURE", "1") != "0",
        trusted_proxies=[p.strip() for p in proxies.split(",") if p.strip()],
        base_url=os.environ.get("JEUGDREGIO_BASE_URL", "http://127.0.0.1:8000"),
        public_requests_per_minute=int(os.environ.get("JEUGDREGIO_PUBLIC_RATE_LIMIT", "300")),
        search_cache_mb=int(os.environ.get("JEUGDREGIO_SEARCH_CACHE_MB", "256")),
    )


def async_url(url: str) -> str:
    """Normalise a PostgreSQL URL to the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL moet een PostgreSQL-adres zijn (postgresql://...)")
