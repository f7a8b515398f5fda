from django.contrib import admin
from django.urls import include, path

from groupsite import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/profile/", views.edit_profile, name="edit_profile"),
    path("accounts/", include("allauth.urls")),
    path("people/<str:username>/", views.profile, name="profile"),
    path("people/<str:username>/deactivate/", views.deactivate_account, name="deactivate_account"),
    path("", include("discussions.urls")),
    path("", include("topics.urls")),
]
