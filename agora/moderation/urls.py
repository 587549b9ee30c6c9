from django.urls import path

from agora.moderation import views

app_name = "moderation"

urlpatterns = [
    path("p/<int:post_id>/flag/", views.flag, name="flag"),
    path("review/", views.review_queue, name="review"),
    path("review/<int:post_id>/", views.resolve, name="resolve"),
    path("review/log/", views.staff_log, name="log"),
]
