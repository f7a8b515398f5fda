from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, When
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from discussions.flag_forms import ModeratorReasonForm
from groupsite import clock, freshness, page_cache
from topics import page_parts, sanctions, services
from topics.access import get_group_for_moderator, get_group_for_user, get_group_to_join
from topics.forms import EmailInvitationForm, JoinRequestForm, SanctionForm
from topics.models import Group, Invitation, JoinRequest, Membership, Prompt


# Owners first, then moderators, then members.
ROLE_ORDER = Case(
    When(role=Membership.Role.OWNER, then=0), When(role=Membership.Role.MODERATOR, then=1), default=2
)


def home(request):
    # Visitors see the public groups: the page is kept under their versions (any change to one moves its own), and
    # a group made, made private or deleted changes which versions the stamp is made of.
    stamp = None
    if page_cache.is_visitor_request(request):
        public_ids = Group.objects.filter(visibility=Group.Visibility.PUBLIC).order_by("pk").values_list("pk", flat=True)
        stamp = freshness.stamp(freshness.scopes_of(groups=list(public_ids), site=True))
        cached = page_cache.fetch(request, stamp)
        if cached is not None:
            return cached
    # Counted on a fresh queryset: visible_to() joins memberships filtered to the user, which would count only them.
    visible_ids = Group.objects.visible_to(request.user).values("pk")
    groups = Group.objects.filter(pk__in=visible_ids).annotate(members=Count("memberships", distinct=True))
    my_group_ids = set()
    if request.user.is_authenticated:
        my_group_ids = set(request.user.memberships.values_list("group_id", flat=True))
    response = render(request, "topics/home.html", {"groups": groups, "my_group_ids": my_group_ids})
    if stamp is not None:
        page_cache.keep(request, stamp, response)
    return response


def group_detail(request, slug):
    group, membership = get_group_for_user(request.user, slug)
    # Taken before anything shown is read: what is stored under it is never older than it says.
    stamp = freshness.stamp(page_parts.group_scopes(group))
    cached = page_cache.fetch(request, stamp)
    if cached is not None:
        return cached
    if page_cache.is_visitor_request(request):
        group = Group.objects.get(pk=group.pk)  # this page will be kept: the group as it is now
    with clock.reading(request.user, group):
        response = render(request, "topics/group_detail.html", _group_context(request, group, membership, stamp))
    page_cache.keep(request, stamp, response)
    return response


def _group_context(request, group, membership, stamp):
    """The group page: its lists and facts from the shared cache, and what is the reader's own made for them."""
    is_moderator = membership is not None and membership.is_moderator
    variant = page_parts.reader_variant(request, is_moderator=is_moderator)
    open_prompts = Prompt.objects.filter(topic__group=group, status=Prompt.Status.OPEN).select_related("topic")
    open_prompts = open_prompts.order_by("closes_at", "-published_at")
    fresh = {}  # the group read again after the stamp, once, only if a piece must be made

    def fresh_group() -> Group:
        if "group" not in fresh:
            fresh["group"] = Group.objects.get(pk=group.pk)
        return fresh["group"]

    def lists():
        current = fresh_group()
        context = {"group": current, "topics": current.topics.all(), "open_prompts": open_prompts, "request": request}
        return page_parts.render_piece("topics/_group_lists.html", context)

    def facts():
        current = fresh_group()
        moderators = current.memberships.filter(role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR])
        context = {
            "group": current,
            "member_count": current.memberships.count(),
            "moderators": moderators.select_related("user"),
        }
        return page_parts.render_piece("topics/_group_facts.html", context)

    pieces = page_parts.fragments(
        {
            "facts": ("group-facts", (stamp, *variant[:2]), facts),
            # Moderators' rows carry forms (moving topics), so theirs are made on each request.
            **({} if is_moderator else {"lists": ("group-lists", (stamp, *variant), lists)}),
        }
    )
    group_facts, group_moderators = page_parts.split_parts(pieces["facts"])
    pending_request = None
    if membership is None and request.user.is_authenticated and not group.is_public:
        pending_request = JoinRequest.objects.filter(
            group=group, user=request.user, status=JoinRequest.Status.PENDING
        ).first()
    return {
        "group": group,
        "membership": membership,
        "group_lists": pieces.get("lists"),
        "group_facts": group_facts,
        "group_moderators": group_moderators,
        "topics": group.topics.all(),
        "open_prompts": open_prompts,
        "unanswered_prompts": open_prompts.unanswered_by(request.user) if membership else [],
        "pending_request": pending_request,
        "sanction": sanctions.sanction_on_reader(user=request.user, group=group, membership=membership),
        "pending_request_count": (
            group.join_requests.filter(status=JoinRequest.Status.PENDING).count() if is_moderator else 0
        ),
    }


def member_list(request, slug):
    group, membership = get_group_for_user(request.user, slug)
    return render_member_list(request, group, membership)


def render_member_list(request, group, membership, *, sanction_form=None, sanction_target=None, status=200):
    """The member list; its moderators also get the suspend/ban form and the sanctions in force (topics.sanctions)."""
    memberships = group.memberships.select_related("user", "suspension").order_by(
        ROLE_ORDER, "user__display_name", "user__username"
    )
    page = Paginator(memberships, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    for m in page.object_list:
        m.suspended = m.active_suspension(now)
    context = {
        "group": group,
        "membership": membership,
        "page": page,
        "roles": Membership.Role.choices,
        "now": now,
    }
    if membership is not None and membership.is_moderator:
        context |= {
            "sanction_choices": SanctionForm.base_fields["duration"].choices,
            "sanctions_in_force": sanctions.current_sanctions(group=group, now=now),
            "sanction_form": sanction_form,
            "sanction_target": sanction_target,
        }
    with clock.reading(request.user, group):
        return render(request, "topics/member_list.html", context, status=status)


@require_POST
@login_required
def change_role(request, slug, pk):
    group, own_membership = get_group_for_moderator(request.user, slug)
    target = get_object_or_404(Membership.objects.select_related("user"), pk=pk, group=group)
    try:
        changed = services.change_role(membership=target, role=request.POST.get("role", ""), changed_by=own_membership)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if changed:
            messages.success(
                request,
                gettext("%(name)s is now %(role)s.")
                % {"name": target.user.public_name, "role": target.get_role_display().lower()},
            )
    return redirect("topics:members", slug=group.slug)


@require_POST
@login_required
def remove_member(request, slug, pk):
    group, own_membership = get_group_for_moderator(request.user, slug)
    target = get_object_or_404(Membership.objects.select_related("user"), pk=pk, group=group)
    form = ModeratorReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return redirect("topics:members", slug=group.slug)
    try:
        services.remove_member(membership=target, removed_by=own_membership, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, gettext("%(name)s was removed from the group.") % {"name": target.user.public_name})
    return redirect("topics:members", slug=group.slug)


@login_required
def join(request, slug):
    """Join a public group at once (POST); ask to join a private one through the questions form."""
    group, membership = get_group_to_join(request.user, slug)
    if membership is not None:
        messages.info(request, gettext("You are already a member of %(group)s.") % {"group": group.name})
        return redirect(group)
    if group.is_public:
        if request.method != "POST":
            return render(request, "topics/join_public.html", {"group": group})
        try:
            services.join_public_group(group=group, user=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            if error.code == "staff_lookalike":  # the name must change first, under Your profile
                return redirect("edit_profile")
            return redirect(group)
        messages.success(
            request, gettext("Welcome to %(group)s! You can now start threads and reply.") % {"group": group.name}
        )
        return redirect(group)
    return _ask_to_join(request, group)


def _ask_to_join(request, group):
    pending = JoinRequest.objects.filter(group=group, user=request.user, status=JoinRequest.Status.PENDING).first()
    if pending is not None:
        return render(request, "topics/join_request_pending.html", {"group": group, "join_request": pending})
    form = JoinRequestForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_to_join(group=group, user=request.user, answers=form.answers())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Your request was sent. A moderator will answer it by email."))
            return redirect("topics:join", slug=group.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "topics/join_request_form.html", {"group": group, "form": form}, status=status)


@require_POST
@login_required
def withdraw_join_request(request, slug):
    group, _ = get_group_to_join(request.user, slug)
    if services.withdraw_join_request(group=group, user=request.user):
        messages.success(request, gettext("Your request to join was withdrawn."))
    return redirect("topics:home")


@require_http_methods(["GET", "POST"])
@login_required
def leave(request, slug):
    """GET asks to confirm (a page that works without JavaScript); POST leaves."""
    group, membership = get_group_for_user(request.user, slug)
    if membership is None:
        return redirect(group)
    if request.method == "GET":
        return render(request, "topics/leave_confirm.html", {"group": group, "membership": membership})
    try:
        services.leave_group(group=group, user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(group)
    messages.success(request, gettext("You have left %(group)s.") % {"group": group.name})
    return redirect("topics:home")


@login_required
def join_requests(request, slug):
    group, membership = get_group_for_moderator(request.user, slug)
    pending = group.join_requests.filter(status=JoinRequest.Status.PENDING).select_related("user")
    recent = group.join_requests.exclude(status=JoinRequest.Status.PENDING).select_related("user", "decided_by")[:20]
    return render(
        request,
        "topics/join_requests.html",
        {"group": group, "membership": membership, "pending": pending, "recent": recent},
    )


@require_POST
@login_required
def decide_join_request(request, slug, pk):
    group, _ = get_group_for_moderator(request.user, slug)
    join_request = get_object_or_404(JoinRequest.objects.select_related("user", "group"), pk=pk, group=group)
    decision = request.POST.get("decision")
    if decision not in {"approve", "decline"}:
        return HttpResponseBadRequest(gettext("The decision must be approve or decline."))
    decided = services.decide_join_request(
        join_request=join_request, moderator=request.user, approve=decision == "approve", now=timezone.now()
    )
    if decided:
        message = (
            gettext("%(name)s's request was approved.")
            if decision == "approve"
            else gettext("%(name)s's request was declined.")
        )
        messages.success(request, message % {"name": join_request.user.public_name})
    else:
        messages.info(request, gettext("That request had already been answered."))
    return redirect("topics:join_requests", slug=group.slug)


@login_required
def invitations(request, slug):
    group, membership = get_group_for_moderator(request.user, slug)
    form = EmailInvitationForm(request.POST or None)
    now = timezone.now()
    if request.method == "POST":
        if request.POST.get("kind") == "link":
            services.create_invitation_link(group=group, created_by=request.user, now=now)
            messages.success(request, gettext("A new invitation link is ready to share."))
            return redirect("topics:invitations", slug=group.slug)
        if form.is_valid():
            email = form.cleaned_data["email"]
            services.invite_by_email(group=group, email=email, invited_by=request.user, now=now)
            messages.success(request, gettext("An invitation was sent to %(email)s.") % {"email": email})
            return redirect("topics:invitations", slug=group.slug)
    invitation_list = [
        (invitation, invitation.status(now), request.build_absolute_uri(invitation.get_absolute_url()))
        for invitation in group.invitations.select_related("created_by")[:100]
    ]
    context = {
        "group": group,
        "membership": membership,
        "form": form,
        "invitations": invitation_list,
        "lifetime_days": settings.INVITATION_LIFETIME_DAYS,
    }
    status = 400 if request.method == "POST" else 200
    with clock.reading(request.user, group):
        return render(request, "topics/invitations.html", context, status=status)


@require_POST
@login_required
def revoke_invitation(request, slug, pk):
    group, _ = get_group_for_moderator(request.user, slug)
    invitation = get_object_or_404(Invitation, pk=pk, group=group)
    if services.revoke_invitation(invitation=invitation, now=timezone.now(), revoked_by=request.user):
        messages.success(request, gettext("The invitation was revoked; its link no longer works."))
    else:
        messages.info(request, gettext("That invitation had already been revoked."))
    return redirect("topics:invitations", slug=group.slug)


def invitation(request, token):
    """The page an invitation link opens: shows the group, and joins it on POST."""
    invitation = get_object_or_404(Invitation.objects.select_related("group", "created_by"), token=token)
    now = timezone.now()
    usable = invitation.is_usable(now)
    is_member = (
        request.user.is_authenticated
        and Membership.objects.filter(group=invitation.group, user=request.user).exists()
    )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if is_member:
            messages.info(request, gettext("You are already a member of %(group)s.") % {"group": invitation.group.name})
            return redirect(invitation.group)
        try:
            services.accept_invitation(invitation=invitation, user=request.user, now=now)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            if error.code == "staff_lookalike":  # the invitation is fine: the name must change first
                return redirect("edit_profile")
        else:
            messages.success(request, gettext("Welcome to %(group)s!") % {"group": invitation.group.name})
            return redirect(invitation.group)
        usable = False
    context = {"invitation": invitation, "usable": usable, "is_member": is_member}
    return render(request, "topics/invitation.html", context, status=200 if usable or is_member else 410)
