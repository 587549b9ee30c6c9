from django.urls import path

from agora.api import views
from agora.api.api import api

# No app namespace: ninja reverses its own "api-v1" namespace from the root.

urlpatterns = [
    path("v1/", api.urls),
    path("tokens/", views.tokens_page, name="api_tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke, name="api_revoke"),
    path("webhooks/", views.webhooks_page, name="api_webhooks"),
    path("webhooks/<int:endpoint_id>/", views.webhook_detail, name="api_webhook"),
    path("webhooks/<int:endpoint_id>/test/", views.webhook_test, name="api_webhook_test"),
]
