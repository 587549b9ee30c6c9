"""schemathesis against the live schema, in process (WSGI): every operation, a bounded number of
generated requests each, as several personas — the owner (read+write token), a member whose
token has only the `read` scope, staff, and an anonymous caller — with valid data and, for the
owner and staff, with data that breaks the schema on purpose. No 5xx, every response matches
the documented status codes, content types, headers and bodies, and data that breaks the schema
is refused with a 4xx."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import checks
from schemathesis.generation import GenerationMode

from agora.api import tokens
from agora.api.tests.conftest import bearer, known_path_values

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, checks.negative_data_rejection]

# (persona, generation mode, examples per operation): enough to reach every operation's
# branches for each kind of caller, few enough for CI (the whole file stays well under a minute
# of CPU on a quiet machine).
RUNS = [
    ("owner", GenerationMode.POSITIVE, 5),
    ("owner", GenerationMode.NEGATIVE, 3),
    ("reader", GenerationMode.POSITIVE, 2),
    ("staff", GenerationMode.POSITIVE, 3),
    ("staff", GenerationMode.NEGATIVE, 2),
    ("anonymous", GenerationMode.POSITIVE, 2),
]


@pytest.fixture
def _keep_connection():
    """Like Django's test client: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _headers(world, persona: str) -> dict[str, str]:
    if persona == "anonymous":
        return {}
    if persona == "reader":  # bob, through a token without the write scope
        _token, raw = tokens.create_token(
            user=world.people["member"], name="reader", scopes=["read"]
        )
        return {"Authorization": bearer(raw)["HTTP_AUTHORIZATION"]}
    return {"Authorization": bearer(world.tokens[persona])["HTTP_AUTHORIZATION"]}


@pytest.mark.django_db
@pytest.mark.usefixtures("_keep_connection")
@pytest.mark.parametrize(
    ("persona", "mode", "examples"), RUNS, ids=[f"{p}-{m.value}" for p, m, _n in RUNS]
)
def test_schemathesis_finds_no_server_error_or_schema_violation(
    world, settings, persona, mode, examples
):
    settings.ALLOWED_HOSTS = ["*"]
    settings.API_RATE_LIMIT = settings.API_ANONYMOUS_RATE_LIMIT = (100_000, 60)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    headers = _headers(world, persona)
    failures: list[str] = []
    known = known_path_values(world)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 80
    negative = mode == GenerationMode.NEGATIVE

    for operation in operations:
        try:
            strategy = operation.as_strategy(generation_mode=mode)
        except Exception as exc:  # an operation with nothing to break: no negative cases
            if negative:
                continue
            raise AssertionError(f"{operation.label}: {exc}") from exc

        @given(case=strategy, use_known=st.booleans())
        @hypothesis_settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case, use_known: bool) -> None:
            # random ids mostly miss: aim at real rows too (valid data only: a negative case's
            # broken path parameter is the point)
            if use_known and case.path_parameters and not negative:
                case.path_parameters = {
                    name: known.get(name, value) for name, value in case.path_parameters.items()
                }
            with transaction.atomic():  # each request's writes are undone
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            case.validate_response(response, checks=NEGATIVE_CHECKS if negative else CHECKS)

        try:
            exercise()
        except Unsatisfiable:  # nothing in this operation can break the schema (no negatives)
            if not negative:
                failures.append(f"{operation.label}: no valid request could be generated")
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
