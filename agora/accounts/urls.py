from django.urls import path

from agora.accounts import views

urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/suggest/", views.member_suggestions, name="member_suggestions"),
    path("u/<str:username>/", views.profile, name="profile"),
    path("settings/profile/", views.edit_profile, name="edit_profile"),
    path("settings/preferences/", views.edit_preferences, name="edit_preferences"),
    path("settings/avatar/", views.change_avatar, name="change_avatar"),
    path("settings/avatar/remove/", views.delete_avatar, name="remove_avatar"),
]
