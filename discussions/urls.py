from django.urls import path

from discussions import views, views_digest, views_email, views_flags, views_notifications, views_search

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
    path("threads/<int:pk>/slow-mode/", views.set_slow_mode, name="set_slow_mode"),
    path("p/<int:pk>/", views.post_permalink, name="post"),
    path("p/<int:pk>/edit/", views.edit_post, name="edit_post"),
    path("p/<int:pk>/delete/", views.delete_post, name="delete_post"),
    path("p/<int:pk>/revisions/", views.post_revisions, name="post_revisions"),
    path("p/<int:pk>/flag/", views_flags.flag_post, name="flag_post"),
    path("p/<int:pk>/dismiss-flags/", views_flags.dismiss_flags, name="dismiss_flags"),
    path("p/<int:pk>/hide/", views_flags.hide_post, name="hide_post"),
    path("p/<int:pk>/unhide/", views_flags.unhide_post, name="unhide_post"),
    path("p/<int:pk>/warn/", views_flags.warn_author, name="warn_author"),
    path("g/<slug:slug>/review/", views_flags.review_queue, name="review_queue"),
    path("preview/", views.preview, name="preview"),
    path("search/", views_search.search, name="search"),
    path("g/<slug:group_slug>/topics/<slug:topic_slug>/new/", views.new_thread, name="new_thread"),
    path("unsubscribe/<str:token>/", views_email.unsubscribe, name="unsubscribe"),
    path("accounts/email-preferences/", views_email.email_preferences, name="email_preferences"),
    path("accounts/digest/", views_digest.digest_preview, name="digest_preview"),
    path(
        "g/<slug:slug>/members/<str:username>/digest/",
        views_digest.member_digest_preview,
        name="member_digest_preview",
    ),
    path("notifications/", views_notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/read/", views_notifications.mark_notification_read, name="notification_read"),
    path("notifications/read-all/", views_notifications.mark_all_notifications_read, name="notifications_read_all"),
    path("threads/<int:pk>/subscription/", views_notifications.thread_subscription, name="thread_subscription"),
    path(
        "g/<slug:group_slug>/topics/<slug:topic_slug>/subscription/",
        views_notifications.topic_subscription,
        name="topic_subscription",
    ),
    path("g/<slug:slug>/subscription/", views_notifications.group_subscription, name="group_subscription"),
    path("g/<slug:slug>/members.json", views_notifications.group_members_json, name="group_members_json"),
]
