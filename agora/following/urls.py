from django.urls import path

from agora.following import views

app_name = "following"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("<str:username>/", views.follow, name="follow"),
]
