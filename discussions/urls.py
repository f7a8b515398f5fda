from django.urls import path

from discussions import views

app_name = "discussions"
urlpatterns = [
    path("t/<int:pk>/", views.thread_detail, name="thread_short"),
    path("t/<int:pk>/<slug:slug>/", views.thread_detail, name="thread"),
    path("threads/<int:pk>/reply/", views.reply, name="reply"),
    path("p/<int:pk>/", views.post_permalink, name="post"),
    path("p/<int:pk>/edit/", views.edit_post, name="edit_post"),
    path("p/<int:pk>/delete/", views.delete_post, name="delete_post"),
    path("p/<int:pk>/revisions/", views.post_revisions, name="post_revisions"),
    path("preview/", views.preview, name="preview"),
    path("g/<slug:group_slug>/topics/<slug:topic_slug>/new/", views.new_thread, name="new_thread"),
]
