from django.urls import path

from agora.search import views

app_name = "search"

urlpatterns = [
    path("", views.search, name="search"),
    path("quick/", views.quick, name="quick"),
]
