"""Gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Every value can be set from the environment (the names in parentheses), so the Makefile,
``deploy/`` and the benchmarks start the same server the same way.

- Workers (``WEB_CONCURRENCY``, default ``2 × cores + 1``): synchronous workers; the app's
  requests are short database reads, so processes (not threads) give the most throughput per
  core without sharing the GIL.
- The app is loaded once in the master (``preload_app``) and its objects are then moved out of
  the garbage collector's reach with ``gc.freeze()`` before the workers fork: the workers share
  those pages copy-on-write, and full collections no longer walk the tens of thousands of
  long-lived objects that Django, DRF and the URL/template caches create (STYLE.md, speed habit
  21: on NetBox this halved the p95 tail).
- ``GUNICORN_GC_THRESHOLD`` (default ``50000,20,20``) makes young-generation collections rarer
  than Python's default 700: a request allocates thousands of short-lived objects, and the
  default threshold triggers several collections per request.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
preload_app = True
# A request slower than this is killed and logged: nothing here should take a minute.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak cannot grow without bound (jitter spreads them).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "2000"))
# Behind a load balancer: trust its X-Forwarded-* headers (FORWARDED_ALLOW_IPS, default local).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app logs its own access lines as JSON with the request id (config/settings.py LOGGING);
# gunicorn's access log is off unless asked for.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

_threshold = tuple(int(part) for part in os.environ.get("GUNICORN_GC_THRESHOLD", "50000,20,20").split(","))


def when_ready(server):
    """After the master has loaded the app, before any worker forks: freeze what it holds."""
    gc.collect()
    gc.freeze()
    server.log.info("gc.freeze(): %d objects moved to the permanent generation", gc.get_freeze_count())


def post_fork(server, worker):
    """In each worker: rarer young-generation collections (see the module docstring)."""
    gc.set_threshold(*_threshold)
