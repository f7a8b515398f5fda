from django.urls import path

from topics.views import groups as views

app_name = "topics"
urlpatterns = [
    path("", views.home, name="home"),
    path("invite/<str:token>/", views.invitation, name="invitation"),
    path("g/<slug:slug>/", views.group_detail, name="group"),
    path("g/<slug:slug>/members/", views.member_list, name="members"),
    path("g/<slug:slug>/members/<int:pk>/role/", views.change_role, name="change_role"),
    path("g/<slug:slug>/members/<int:pk>/remove/", views.remove_member, name="remove_member"),
    path("g/<slug:slug>/join/", views.join, name="join"),
    path("g/<slug:slug>/join/withdraw/", views.withdraw_join_request, name="withdraw_join_request"),
    path("g/<slug:slug>/leave/", views.leave, name="leave"),
    path("g/<slug:slug>/requests/", views.join_requests, name="join_requests"),
    path("g/<slug:slug>/requests/<int:pk>/", views.decide_join_request, name="decide_join_request"),
    path("g/<slug:slug>/invitations/", views.invitations, name="invitations"),
    path("g/<slug:slug>/invitations/<int:pk>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path("g/<slug:group_slug>/topics/<slug:topic_slug>/", views.topic_detail, name="topic"),
]
