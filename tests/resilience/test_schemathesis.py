"""Malformed and hostile input at every API endpoint: schemathesis against ``/api/schema/``.

It runs the ``st`` command line against gunicorn on the disposable database of ``conftest``
(it creates, changes and deletes what it can), authenticated as the admin, who may do the
most. The contract: 0 server errors (``not_a_server_error``) and 0 responses that do not match
the schema (``response_schema_conformance``), whatever the input.

Bounded and repeatable for CI: ``SCHEMATHESIS_MAX_EXAMPLES`` examples per operation (default
3) in the examples, coverage and fuzzing phases, a fixed seed, no example database carried
between runs. On failure the report names each failing operation and a ``curl`` that
reproduces it.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "3")
ST = Path(sys.executable).parent / "st"


def test_every_api_operation_survives_hostile_input_and_answers_per_the_schema(stack, tmp_path):
    run = subprocess.run(
        [
            str(ST),
            "run",
            f"{stack.base_url}/api/schema/",
            "--header",
            f"Authorization: Token {stack.tokens['admin']}",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            "20261122",
            # Deterministic generation (no example database either): the same cases every run.
            "--generation-deterministic",
            "--workers",
            "4",
            "--request-timeout",
            "30",
            "--no-color",
            "--output-truncate",
            "false",
        ],
        cwd=tmp_path,  # its own cache folder (.schemathesis/) stays out of the checkout
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    print(summary)
    assert "Tested: " in summary, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.returncode == 0, run.stdout[-20000:]
