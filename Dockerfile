# Jeugdregio: one image for web, worker and migrations (`jeugdregio serve|worker|db upgrade`).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    JEUGDREGIO_DATA_DIR=/home/app/data

# WeasyPrint needs Pango; harfbuzz-subset makes PDFs ~3x faster; one font family for pages and PDFs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 app \
 && mkdir -p /home/app/data && chown app:app /home/app/data

WORKDIR /app

# Dependencies first (cached while only templates or migrations change). Editable install on purpose:
# the code finds templates/, migrations/ and alembic.ini next to platform/ (paths relative to its source).
COPY pyproject.toml README.md ./
COPY platform ./platform
RUN pip install --no-cache-dir -e .

COPY . .

USER app
EXPOSE 8000
ENTRYPOINT ["jeugdregio"]
CMD ["serve", "--host", "0.0.0.0"]
