from django.urls import path

from agora.challenges import feeds, views

app_name = "challenges"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new_challenge, name="new"),
    path("feed.rss", feeds.ChallengesFeed(), name="feed"),
    path("feed.atom", feeds.ChallengesAtomFeed, name="feed_atom"),
    path("<int:challenge_id>/", views.challenge, name="challenge"),
    path("<int:challenge_id>/submit/", views.submit, name="submit"),
    path("<int:challenge_id>/follow/", views.follow, name="follow"),
    path("contests/", views.contests, name="contests"),
    path("contests/new/", views.new_contest, name="new_contest"),
    path("contests/<int:contest_id>/", views.contest, name="contest"),
    path("contests/<int:contest_id>/enter/", views.enter, name="enter"),
    path("contests/entries/<int:entry_id>/vote/", views.vote, name="vote"),
]
