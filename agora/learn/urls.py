from django.urls import path

from agora.learn import views

app_name = "learn"

urlpatterns = [
    path("", views.index, name="index"),
    path("write/", views.write, name="write"),
    path("import/", views.import_markdown, name="import"),
    path("resources/", views.resources, name="resources"),
    path("resources/add/", views.add_resource, name="add_resource"),
    path("resources/<int:resource_id>/", views.resource, name="resource"),
    path("resources/<int:resource_id>/use/", views.use_resource, name="use_resource"),
    path("<str:slug>/", views.article, name="article"),
    path("<str:slug>/edit/", views.edit, name="edit"),
    path("<str:slug>/revisions/", views.revisions, name="revisions"),
]
