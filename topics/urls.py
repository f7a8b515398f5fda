from django.urls import path

from topics.views import groups as views
from topics.views import prompts
from topics.views import insight
from topics.views import polls
from topics.views import outcomes
from topics.views import manage
from topics.views import sanctions
from topics.views import audit_log
from topics.views import followup
from topics.views import topic_page

app_name = "topics"
urlpatterns = [
    path("", views.home, name="home"),
    path("invite/<str:token>/", views.invitation, name="invitation"),
    path("g/<slug:slug>/", views.group_detail, name="group"),
    path("g/<slug:slug>/members/", views.member_list, name="members"),
    path("g/<slug:slug>/members/<int:pk>/role/", views.change_role, name="change_role"),
    path("g/<slug:slug>/members/<int:pk>/remove/", views.remove_member, name="remove_member"),
    path("g/<slug:slug>/members/<int:pk>/sanction/", sanctions.sanction_member, name="sanction_member"),
    path("g/<slug:slug>/sanctions/<int:pk>/lift/", sanctions.lift_sanction, name="lift_sanction"),
    path("g/<slug:slug>/join/", views.join, name="join"),
    path("g/<slug:slug>/join/withdraw/", views.withdraw_join_request, name="withdraw_join_request"),
    path("g/<slug:slug>/leave/", views.leave, name="leave"),
    path("g/<slug:slug>/requests/", views.join_requests, name="join_requests"),
    path("g/<slug:slug>/requests/<int:pk>/", views.decide_join_request, name="decide_join_request"),
    path("g/<slug:slug>/invitations/", views.invitations, name="invitations"),
    path("g/<slug:slug>/invitations/<int:pk>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path("g/<slug:slug>/settings/", manage.group_settings, name="group_settings"),
    path("g/<slug:slug>/log/", audit_log.audit_log, name="audit_log"),
    # Before the topic page: "new" would otherwise be read as a topic slug (and is reserved as one).
    path("g/<slug:slug>/topics/new/", manage.topic_new, name="topic_new"),
    path("g/<slug:slug>/topics/<int:pk>/move/", manage.topic_move, name="topic_move"),
    path("g/<slug:group_slug>/topics/<slug:topic_slug>/", topic_page.topic_detail, name="topic"),
    path("g/<slug:group_slug>/topics/<slug:topic_slug>/edit/", manage.topic_edit, name="topic_edit"),
    path("g/<slug:slug>/agenda/", prompts.agenda, name="agenda"),
    path("g/<slug:slug>/programme/", prompts.programme, name="programme"),
    path("g/<slug:slug>/milestones/", prompts.milestones, name="milestones"),
    path("g/<slug:slug>/milestones/<int:pk>/", prompts.milestone_move, name="milestone_move"),
    path("g/<slug:slug>/prompts/new/", prompts.prompt_new, name="prompt_new"),
    path("g/<slug:slug>/prompts/<int:pk>/", prompts.prompt_edit, name="prompt_edit"),
    path("g/<slug:slug>/prompts/<int:pk>/publish/", prompts.prompt_publish, name="prompt_publish"),
    path("g/<slug:slug>/prompts/<int:pk>/close/", prompts.prompt_close, name="prompt_close"),
    path("g/<slug:slug>/prompts/<int:pk>/reopen/", prompts.prompt_reopen, name="prompt_reopen"),
    path("g/<slug:slug>/prompts/<int:pk>/translation/", prompts.prompt_translation, name="prompt_translation"),
    path("g/<slug:slug>/prompts/<int:pk>/duplicate/", prompts.prompt_duplicate, name="prompt_duplicate"),
    path("g/<slug:slug>/prompts/<int:pk>/delete/", prompts.prompt_delete, name="prompt_delete"),
    path("g/<slug:slug>/prompts/<int:pk>/follow-up/", followup.prompt_followup, name="prompt_followup"),
    path("g/<slug:slug>/prompts/<int:pk>/remind/", followup.prompt_remind, name="prompt_remind"),
    path("g/<slug:slug>/prompts/<int:pk>/vote/", polls.vote, name="vote"),
    path("g/<slug:slug>/insight/", insight.insight_page, name="insight"),
    path("g/<slug:slug>/insight/members.csv", insight.member_activity_csv, name="insight_csv"),
    path("g/<slug:slug>/prompts/<int:pk>/outcome/", outcomes.prompt_outcome, name="prompt_outcome"),
    path(
        "g/<slug:slug>/prompts/<int:pk>/outcome/history/",
        outcomes.prompt_outcome_revisions,
        name="prompt_outcome_revisions",
    ),
    path("g/<slug:group_slug>/topics/<slug:topic_slug>/summary/", outcomes.topic_summary, name="topic_summary"),
    path(
        "g/<slug:group_slug>/topics/<slug:topic_slug>/summary/history/",
        outcomes.topic_summary_revisions,
        name="topic_summary_revisions",
    ),
    path("g/<slug:group_slug>/topics/<slug:topic_slug>/export.md", outcomes.topic_export, name="topic_export"),
    path("p/<int:pk>/key-insight/", outcomes.key_insight, name="key_insight"),
]
