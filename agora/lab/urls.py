from django.urls import path

from agora.lab import views

app_name = "lab"

urlpatterns = [
    path("", views.index, name="index"),
    path("runs/new/", views.new_run, name="new_run"),
    path("runs/compare/", views.compare, name="compare"),
    path("runs/<int:run_id>/", views.run, name="run"),
    path("runs/<int:run_id>/cancel/", views.cancel, name="cancel"),
    path("runs/<int:run_id>/resume/", views.resume, name="resume"),
    path("runs/<int:run_id>/publish/", views.publish, name="publish"),
    path("runs/<int:run_id>/share/", views.share_run, name="share_run"),
    path("models/<int:model_id>/", views.model, name="model"),
    path(
        "models/<int:model_id>/checkpoint.safetensors", views.download_checkpoint, name="checkpoint"
    ),
    path("models/<int:model_id>/star/", views.star, name="star"),
    path("models/<int:model_id>/generate/", views.generate, name="generate"),
    path("generations/<int:generation_id>/", views.generation, name="generation"),
    path("generations/<int:generation_id>/reproduce/", views.reproduce, name="reproduce"),
    path("generations/<int:generation_id>/share/", views.share, name="share"),
    path("generations/<int:generation_id>/share-text/", views.share_text, name="share_text"),
    path("datasets/", views.datasets, name="datasets"),
]
