from django.contrib import admin
from django.urls import include, path
from groupsite import account_views, views
from groupsite.catalog import VersionedJavaScriptCatalog

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("jsi18n/", VersionedJavaScriptCatalog.as_view(), name="javascript-catalog"),  # the scripts' words
    path("accounts/profile/", views.edit_profile, name="edit_profile"),
    # allauth's confirmation pages, saying when an address is confirmed already or a login waits for it.
    path(
        "accounts/confirm-email/", account_views.EmailVerificationSentView.as_view(),
        name="account_email_verification_sent",
    ),
    path("accounts/confirm-email/resend/", account_views.resend_verification, name="account_resend_verification"),
    path("accounts/confirm-email/<str:key>/", account_views.ConfirmEmailView.as_view(), name="account_confirm_email"),
    path("accounts/", include("allauth.urls")),
    path("people/<str:username>/", views.profile, name="profile"),
    path("people/<str:username>/deactivate/", views.deactivate_account, name="deactivate_account"),
    path("", include("discussions.urls")),
    path("", include("discussions.feeds.urls")),
    path("", include("topics.urls")),
]
