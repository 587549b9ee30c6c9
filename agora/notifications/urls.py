from django.urls import path

from agora.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:notification_id>/open/", views.open_notification, name="open"),
    path("read-all/", views.read_all, name="read_all"),
    path("settings/", views.settings_page, name="settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
