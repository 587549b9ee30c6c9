from django.urls import path

from agora.pages import views

app_name = "pages"

urlpatterns = [
    path("<slug:slug>/", views.page, name="page"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
]
