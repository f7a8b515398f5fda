from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext
from django.views import i18n
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from discussions.models import Post
from groupsite import accounts, languages
from groupsite.forms import DeactivateAccountForm, ProfileForm
from groupsite.models import User
from topics.models import Group, Membership

RECENT_POSTS_ON_PROFILE = 20


def profile(request, username):
    person = get_object_or_404(User, username=username, is_active=True)
    # Only posts the visitor could read where they were written.
    posts = (
        Post.objects.filter(
            author=person,
            deleted_at__isnull=True,
            hidden_at__isnull=True,
            thread__topic__group__in=Group.objects.visible_to(request.user),
        )
        # Under the Chatham House rule only the group's moderators may know who said what.
        .exclude(Q(thread__prompt__chatham_house=True) & ~Q(thread__topic__group__in=_moderated_groups(request.user)))
        .select_related("thread__topic__group")
        .order_by("-created_at")[:RECENT_POSTS_ON_PROFILE]
    )
    role = Membership.objects.filter(group=OuterRef("pk"), user=person).values("role")[:1]
    groups = Group.objects.visible_to(request.user).filter(memberships__user=person).annotate(person_role=Subquery(role))
    context = {"person": person, "posts": posts, "groups": groups}
    if request.user.is_staff and request.user != person:
        context["deactivate_form"] = DeactivateAccountForm()
    return render(request, "profile.html", context)


@require_POST
@login_required
def deactivate_account(request, username):
    """Site staff end an account site-wide: it can no longer log in, and its sessions end."""
    if not request.user.is_staff:
        raise PermissionDenied(gettext("Only site staff can deactivate accounts."))
    person = get_object_or_404(User, username=username, is_active=True)
    form = DeactivateAccountForm(request.POST)
    if not form.is_valid():
        posts, groups = Post.objects.none(), Group.objects.none()
        context = {"person": person, "posts": posts, "groups": groups, "deactivate_form": form}
        return render(request, "profile.html", context, status=400)
    try:
        accounts.deactivate_account(
            user=person, actor=request.user, reason=form.cleaned_data["reason"], now=timezone.now()
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("profile", username=person.username)
    messages.success(request, gettext("%(name)s's account is deactivated.") % {"name": person.public_name})
    return redirect("topics:home")


def _moderated_groups(user):
    if not user.is_authenticated:
        return Group.objects.none()
    return Group.objects.filter(
        memberships__user=user, memberships__role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR]
    )


@login_required
def edit_profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            accounts.save_profile(form=form)
            # The next page speaks the language just chosen (or the browser's, for "not chosen").
            translation.activate(
                languages.chosen_language(request.user) or translation.get_language_from_request(request)
            )
            messages.success(request, gettext("Your profile was saved."))
            return redirect("profile", username=request.user.username)
        return render(request, "profile_form.html", {"form": form}, status=400)
    return render(request, "profile_form.html", {"form": form})


@csrf_exempt  # for visitors only: a member's switch is checked by _save_member_language
@require_POST
def set_language(request):
    """The footer's switcher: Django's set_language (the language cookie, for visitors too), and for a signed-in
    member also their profile's choice, so that their emails follow it.

    A visitor's switch carries no CSRF token, so that the pages it sits on are the same for every visitor and can
    be served whole from the shared cache (groupsite/page_cache.py). A forged switch can only set a visitor's own
    language cookie, which one click sets back; a member's choice is saved to their profile and stays checked.
    """
    if request.user.is_authenticated:
        return _save_member_language(request)
    return i18n.set_language(request)


@csrf_protect
def _save_member_language(request):
    language = request.POST.get("language", "")
    if languages.is_offered(language):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return i18n.set_language(request)
