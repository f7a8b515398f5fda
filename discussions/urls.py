from django.urls import path

from discussions import views, views_email

app_name = "discussions"
urlpatterns = [
    path("t/<int:pk>/", views.thread_detail, name="thread_short"),
    path("t/<int:pk>/<slug:slug>/", views.thread_detail, name="thread"),
    path("threads/<int:pk>/reply/", views.reply, name="reply"),
    path("threads/<int:pk>/pin/", views.pin_thread, name="pin_thread"),
    path("threads/<int:pk>/unpin/", views.unpin_thread, name="unpin_thread"),
    path("threads/<int:pk>/lock/", views.lock_thread, name="lock_thread"),
    path("threads/<int:pk>/unlock/", views.unlock_thread, name="unlock_thread"),
    path("threads/<int:pk>/rename/", views.rename_thread, name="rename_thread"),
    path("threads/<int:pk>/move/", views.move_thread, name="move_thread"),
    path("p/<int:pk>/", views.post_permalink, name="post"),
    path("p/<int:pk>/edit/", views.edit_post, name="edit_post"),
    path("p/<int:pk>/delete/", views.delete_post, name="delete_post"),
    path("p/<int:pk>/revisions/", views.post_revisions, name="post_revisions"),
    path("preview/", views.preview, name="preview"),
    path("g/<slug:group_slug>/topics/<slug:topic_slug>/new/", views.new_thread, name="new_thread"),
    path("unsubscribe/<str:token>/", views_email.unsubscribe, name="unsubscribe"),
    path("accounts/email-preferences/", views_email.email_preferences, name="email_preferences"),
]
