from django.urls import path

from agora.gallery import views

app_name = "gallery"

urlpatterns = [
    path("", views.grid, name="grid"),
    path("upload/", views.upload, name="upload"),
    path("settings/", views.viewer_settings, name="viewer_settings"),
    path("collections/<int:collection_id>/", views.collection, name="collection"),
    path("<int:work_id>/", views.work, name="work"),
    path("<int:work_id>/react/", views.react, name="react"),
    path("<int:work_id>/comment/", views.comment, name="comment"),
    path("<int:work_id>/collect/", views.collect, name="collect"),
    path("<int:work_id>/nsfw/", views.nsfw, name="nsfw"),
    path("<int:work_id>/download.png", views.download, name="download"),
    path("<int:work_id>/share/", views.share, name="share"),
]
