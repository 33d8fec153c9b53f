FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 fonts-dejavu-core gettext \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 app
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e .
# collectstatic needs settings but no real secrets: use throwaway build-time values.
RUN SECRET_KEY=build ALLOWED_HOSTS=build FIELD_ENCRYPTION_KEYS=MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA= \
    BLIND_INDEX_KEY=build python manage.py collectstatic --noinput
RUN mkdir -p /var/lib/situation-table/audit-checkpoints && chown -R app /var/lib/situation-table
USER app
EXPOSE 8000
CMD ["gunicorn", "situation_table.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--logger-class", "situation_table.gunicorn_logging.RedactingLogger"]
