"""gunicorn settings for the Docker image and docker-compose.yml (tests/test_deployment.py runs it too).

Sync workers block on a client for as long as it takes to send its request, so they must
only ever face the buffering reverse proxy (deploy/nginx.conf), never clients directly.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "sync"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
timeout = 60
graceful_timeout = 30
accesslog = "-"
