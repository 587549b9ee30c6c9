"""schemathesis against the live schema, in process (WSGI): every operation, a bounded number of
generated requests each, as the owner persona with a read+write token. No 5xx, and every
response matches the documented status codes, content types, headers and bodies."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import checks

from agora.api.models import ApiToken
from agora.api.tests.conftest import bearer

EXAMPLES_PER_OPERATION = 6
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def _keep_connection():
    """Like Django's test client: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("_keep_connection")
def test_schemathesis_finds_no_server_error_or_schema_violation(world, settings):
    settings.ALLOWED_HOSTS = ["*"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    headers = {"Authorization": bearer(world.tokens["owner"])["HTTP_AUTHORIZATION"]}
    failures: list[str] = []
    known = {
        "topic_id": world.topic.id,
        "post_id": world.reply.id,
        "slug": "lounge",
        "username": "bob",
        "work_id": world.work.id,
        "run_id": world.queued_run.id,
        "model_id": world.public_model.id,
        "generation_id": world.generation.id,
        "event_id": world.event.id,
        "launch_id": world.launch.id,
        "request_id": world.partner.id,
        "token_id": ApiToken.objects.get(user=world.people["owner"]).id,
    }
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40

    for operation in operations:

        @given(case=operation.as_strategy(), use_known=st.booleans())
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case, use_known: bool) -> None:
            if use_known and case.path_parameters:  # random ids mostly miss: aim at real rows too
                case.path_parameters = {
                    name: known.get(name, value) for name, value in case.path_parameters.items()
                }
            with transaction.atomic():  # each request's writes are undone
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:  # collect all operations' failures, then report them together
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
