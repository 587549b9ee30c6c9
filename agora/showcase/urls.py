from django.urls import path

from agora.showcase import views

app_name = "showcase"

urlpatterns = [
    path("launches/", views.launches, name="launches"),
    path("launches/new/", views.new_launch, name="new_launch"),
    path("launches/<int:launch_id>/", views.launch, name="launch"),
    path("launches/<int:launch_id>/vote/", views.vote, name="vote"),
    path("launches/<int:launch_id>/try/", views.try_it, name="try"),
    path("launches/<int:launch_id>/signups.csv", views.export_signups, name="export_signups"),
    path("partners/", views.partners, name="partners"),
    path("partners/new/", views.new_partner, name="new_partner"),
    path("partners/<int:request_id>/", views.partner, name="partner"),
    path("partners/<int:request_id>/close/", views.close_partner, name="close_partner"),
]
