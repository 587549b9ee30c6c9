from django.urls import path

from agora.learn import views, widget_views

app_name = "learn"

urlpatterns = [
    path("", views.index, name="index"),
    path("write/", views.write, name="write"),
    path("import/", views.import_markdown, name="import"),
    path("resources/", views.resources, name="resources"),
    path("resources/add/", views.add_resource, name="add_resource"),
    path("resources/<int:resource_id>/", views.resource, name="resource"),
    path("resources/<int:resource_id>/use/", views.use_resource, name="use_resource"),
    path("widgets/<str:kind>/", widget_views.widget_page, name="widget"),
    path("widgets/<str:kind>/figure.png", widget_views.widget_figure, name="widget_figure"),
    path("widgets/<str:kind>/panel/", widget_views.widget_panel, name="widget_panel"),
    path(
        "widget-frames/<int:result_id>/<int:number>.png",
        widget_views.widget_frame,
        name="widget_frame",
    ),
    path("<str:slug>/done/", widget_views.mark_done, name="done"),
    path("<str:slug>/", views.article, name="article"),
    path("<str:slug>/edit/", views.edit, name="edit"),
    path("<str:slug>/revisions/", views.revisions, name="revisions"),
]
