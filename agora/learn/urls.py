from django.urls import path

from agora.learn import views

app_name = "learn"

urlpatterns = [
    path("", views.index, name="index"),
    path("write/", views.write, name="write"),
    path("import/", views.import_markdown, name="import"),
    path("<str:slug>/", views.article, name="article"),
    path("<str:slug>/edit/", views.edit, name="edit"),
    path("<str:slug>/revisions/", views.revisions, name="revisions"),
]
