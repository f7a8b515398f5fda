from django.urls import path

from discussions.feeds import views
from discussions.feeds.syndication import GroupFeed, PromptFeed, ThreadFeed, TopicFeed

group_feed, prompt_feed, topic_feed, thread_feed = GroupFeed(), PromptFeed(), TopicFeed(), ThreadFeed()
SECRET = "g/<slug:slug>/private-feed/<slug:token>/"  # a member's secret address (discussions.models.FeedToken)

app_name = "feeds"
urlpatterns = [
    # Public groups only: a private group's public feeds are a 404 for everyone.
    path("g/<slug:slug>/feed/", group_feed, name="group"),
    path("g/<slug:slug>/prompts/feed/", prompt_feed, name="prompts"),
    path("g/<slug:group_slug>/topics/<slug:topic_slug>/feed/", topic_feed, name="topic"),
    # Not under t/<pk>/: "feed" is also the slug of a thread titled "Feed".
    path("threads/<int:pk>/feed/", thread_feed, name="thread"),
    # One secret address per member and group covers the group's every feed.
    path(SECRET, group_feed, name="secret_group"),
    path(SECRET + "prompts/", prompt_feed, name="secret_prompts"),
    path(SECRET + "topics/<slug:topic_slug>/", topic_feed, name="secret_topic"),
    path(SECRET + "threads/<int:pk>/", thread_feed, name="secret_thread"),
    path("g/<slug:slug>/follow/", views.follow, name="follow"),
    path("g/<slug:slug>/follow/reset/", views.reset, name="reset"),
]
