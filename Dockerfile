# Production image: gunicorn serving Django; the same image runs the Celery worker and beat.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 ENVIRONMENT=production
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 cme
# Runtime lock only: no test, lint or browser tooling in the image (requirements-dev.lock is for `make install`).
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
# collectstatic needs settings that pass the production check; the real values come at run time.
RUN DEBUG=0 SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/private && chown -R cme /app/var
USER cme
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s CMD ["python", "deploy/healthcheck.py", "/healthz"]
# Two sync workers (deploy/gunicorn.conf.py); run them only behind the buffering proxy (deploy/nginx.conf).
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "cme_portal.wsgi:application"]
