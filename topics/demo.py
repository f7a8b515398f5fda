"""The demo group (China CAR-T market): its texts, two local accounts and starter threads, loaded idempotently."""

import textwrap
from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from discussions.search import index as search_index
from discussions.services import publish_post, start_thread
from groupsite.models import User
from topics import demo_chinese
from topics.models import Group, Membership, Prompt, Topic
from topics.polls import save_poll
from topics.scheduling import publish_prompt
from topics.services import add_member

DEMO_PASSWORD = "roundtable-demo"


def _markdown(text: str) -> str:
    """Dedent and unwrap the text below: the site keeps single line breaks (nl2br), so a paragraph must be one line."""
    blocks = []
    for block in textwrap.dedent(text).strip().split("\n\n"):
        lines: list[str] = []
        for line in block.splitlines():
            if lines and not line.startswith("- "):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.strip())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


GROUP = {
    "name": "China CAR-T Market",
    "slug": "china-car-t",
    "description": (
        "A public strategy discussion about CAR T-cell therapy in China: the policy behind the boom, what patients "
        "pay, how the products are made, the move beyond CD19, and how Chinese developers take their therapies "
        "abroad. Anyone can read; members take part."
    ),
    "timezone": "Asia/Shanghai",
}

TOPICS = (
    {
        "slug": "landscape",
        "title": "Market landscape and policy",
        "briefing": _markdown(
            """
            China has become one of the busiest places in the world for CAR-T development. Chinese hospitals and
            companies sponsor more CAR-T clinical trials than sponsors from any other country, and that volume of
            work helps researchers find and test new targets. Demand is strong too, driven by the high incidence of
            blood cancers.

            Policy pushes the same way. Public funding and national strategy rank biopharma as a priority, partly to
            depend less on expensive Western therapies. The National Medical Products Administration (NMPA) stays
            demanding but has smoothed the path to approval for innovative domestic products, which helps young
            local companies, and a large, fairly homogeneous patient population lets trials enrol quickly.

            Open questions:

            - How durable are these advantages, and which could fade first?
            - How do funding and regulation decide which companies survive?
            """
        ),
    },
    {
        "slug": "cost-and-reimbursement",
        "title": "Cost, access and reimbursement",
        "briefing": _markdown(
            """
            Because the products are manufactured at home, CAR-T therapy costs less in China than in Western
            markets. It is still expensive enough to keep many eligible patients from receiving it.

            Widening access will likely take new ways of paying: reimbursement designed around one-off cell
            therapies and commercial insurance products that cover them. This topic compares those options.

            Open questions:

            - Which payment models could work: paying for outcomes, paying in instalments, city-level supplementary
              insurance, or a national reimbursement negotiation?
            - At what price does access become broad rather than exceptional?
            """
        ),
    },
    {
        "slug": "quality-and-manufacturing",
        "title": "Quality control and manufacturing",
        "briefing": _markdown(
            """
            CAR-T products in China are made at many sites, academic as well as commercial, and quality and
            consistency differ between them.

            Strict quality control and shared standards protect patients and make results dependable. They matter
            more with every domestic product that reaches approval.

            Open questions:

            - What should be standardized first: release assays, potency testing, vector supply or chain of
              identity?
            - Who should audit manufacturing at academic sites?
            """
        ),
    },
    {
        "slug": "solid-tumours",
        "title": "Beyond CD19: solid tumours",
        "briefing": _markdown(
            """
            For now, CAR-T mostly means CD19-targeted treatment of B-cell malignancies. Chinese researchers are
            among the most active in pushing the approach towards solid tumours.

            The obstacles there are basic biology: a tumour microenvironment that holds the cells back, antigens
            that vary across a tumour, and CAR-T cells that struggle to reach the tumour at all.

            Open questions:

            - Which targets and indications look closest to proof of concept?
            - What evidence would convince global investors?
            """
        ),
    },
    {
        "slug": "globalization",
        "title": "Globalization: partnerships and approvals abroad",
        "briefing": _markdown(
            """
            Chinese CAR-T developers are looking abroad, for international partners and for approval by regulators
            outside China. The aim is to grow from leaders at home into competitors worldwide.

            Licensing a product to a foreign partner and building one's own international operations are very
            different routes, and both raise the question of whether regulators abroad accept data from trials
            run in China.

            Open questions:

            - License out, or build global operations in-house?
            - Which regulators should come first?
            - How can trial data from China be made acceptable abroad?
            """
        ),
    },
    {
        "slug": "allogeneic",
        "title": "Next generation: allogeneic and beyond",
        "briefing": _markdown(
            """
            Today's CAR-T products are made one patient at a time from that patient's own cells, which makes the
            logistics slow and the manufacturing costly. Allogeneic, "off-the-shelf" products promise to remove that
            bottleneck and to cut manufacturing costs sharply.

            The promise comes with open problems, both biological and commercial, for new entrants and for the
            companies built around the autologous model.

            Open questions:

            - How far are allogeneic products from approval?
            - Can graft-versus-host disease and limited persistence be overcome?
            - What happens to today's autologous players?
            """
        ),
    },
)

USERS = (
    {
        "username": "moderator",
        "email": "moderator@example.org",
        "display_name": "Dr. Lin Wei (demo moderator)",
        "affiliation": "Clinical haematologist, Shanghai",
        "role": Membership.Role.OWNER,
    },
    {
        "username": "member",
        "email": "member@example.org",
        "display_name": "Grace Chan (demo member)",
        "affiliation": "Biotech investor, Hong Kong",
        "role": Membership.Role.MEMBER,
    },
)

THREADS = (
    {
        "topic": "cost-and-reimbursement",
        "author": "moderator",
        "title": "Which payment model would widen access first?",
        "body": _markdown(
            """
            Making CAR-T products at home already keeps prices here below Western levels, yet cost is still a
            major barrier for many of the patients I see. Four ideas keep coming up:

            - **outcome-based payment**, where part of the price depends on how the patient responds;
            - **instalments** spread over time;
            - **city-level supplementary insurance**;
            - **national reimbursement negotiation**.

            They can be combined, but each asks something different of manufacturers, payers and hospitals. If you
            could push one of them forward, which would you choose, and why?
            """
        ),
        "replies": (
            (
                "member",
                _markdown(
                    """
                    From the investor side, outcome-based payment looks good on paper, but someone has to collect
                    and pay for the follow-up data it depends on. Instalments seem simpler to run.

                    My guess is that insurance will move faster than a national negotiation, but I would like to
                    hear from anyone who has seen these schemes up close.
                    """
                ),
            ),
        ),
    },
    {
        "topic": "quality-and-manufacturing",
        "author": "moderator",
        "title": "Where should common manufacturing standards start?",
        "body": _markdown(
            """
            CAR-T products here come from many academic and commercial sites, and quality and consistency are not
            the same everywhere. With more domestic products reaching approval, those differences matter more for
            safety and for results that patients can count on.

            Candidates for a first shared standard include release assays, potency testing, vector supply and the
            chain of identity from cell collection to infusion. Each needs agreement on methods and on who checks
            them, especially at academic sites.

            Which would you standardize first, and who should do the auditing?
            """
        ),
        "replies": (),
    },
    {
        "topic": "solid-tumours",
        "author": "member",
        "title": "Which solid-tumour target is closest to proof of concept?",
        "body": _markdown(
            """
            CD19 made CAR-T's name in B-cell malignancies, and a lot of the research here now aims at solid
            tumours. The hard problems are well known: a hostile tumour microenvironment, antigens that vary from
            cell to cell, and T cells that struggle to reach the tumour.

            As an investor I find it hard to tell which programmes are close to a real answer and which are still
            early biology. Which targets or indications do you think are nearest to proof of concept, and what data
            would make you confident?
            """
        ),
        "replies": (),
    },
)


# One open prompt per topic, then a few scheduled for the coming weeks (days from now, 09:00 group time).
OPEN_PROMPTS = (
    {
        "topic": "landscape",
        "title": "Which part of China's CAR-T advantage will last longest?",
        "context": """
            Trial volume, fast recruitment, state funding and a regulator that has sped up domestic
            approvals all help Chinese developers today. Some of these are structural, some may fade.
            Pick the one you would bet on for the next decade and say what could erode it.
        """,
        "poll": {
            "kind": "choice",
            "options": ["Trial volume and recruitment speed", "State funding and strategy", "Regulatory speed", "Manufacturing cost"],
            "results_visibility": "after_voting",
        },
    },
    {
        "topic": "cost-and-reimbursement",
        "title": "What price point would open CAR-T to most eligible patients?",
        "context": """
            Domestic products already cost less than Western ones, but few patients can pay out of
            pocket. Name a price (or a share paid by insurance) that you think changes uptake, and
            which payer should carry the rest.
        """,
        "poll": {
            "kind": "scale",
            "statement": "City-level supplementary insurance will matter more than national reimbursement talks in the next three years.",
            "reason_required": True,
            "results_visibility": "after_voting",
        },
    },
    {
        "topic": "quality-and-manufacturing",
        "title": "What should be standardized first across manufacturing sites?",
        "context": """
            Academic and commercial sites differ in how they release and track products. If one
            standard could be made mandatory next year, which would do most for safety and
            consistent results?
        """,
        "poll": {
            "kind": "choice",
            "options": ["Release assays", "Potency testing", "Vector supply", "Chain of identity"],
            "results_visibility": "always",
        },
    },
    {
        "topic": "solid-tumours",
        "title": "Which solid-tumour target is closest to a convincing proof of concept?",
        "context": """
            The biology is hard: hostile tumour environments, uneven antigen expression and poor
            trafficking into tissue. Share the target or indication you find most promising, and the
            evidence that would convince an investor outside China.
        """,
    },
    {
        "topic": "globalization",
        "title": "License out or build a global organization?",
        "context": """
            Chinese developers can partner with foreign companies or take their products abroad
            themselves. This prompt runs under the Chatham House rule: speak freely, names are not
            shown to members.
        """,
        "chatham_house": True,
    },
    {
        "topic": "allogeneic",
        "title": "When will an off-the-shelf CAR-T product be approved in China?",
        "context": """
            Allogeneic products could remove patient-specific manufacturing and much of its cost, but
            graft-versus-host disease and short persistence remain open problems. Give your estimate
            and what it depends on.
        """,
    },
)
SCHEDULED_PROMPTS = (
    {
        "topic": "cost-and-reimbursement",
        "days_from_now": 7,
        "title": "Would outcome-based payment work for CAR-T in China?",
        "context": "Paying for results needs follow-up data and someone to collect it. Who could do that today?",
    },
    {
        "topic": "quality-and-manufacturing",
        "days_from_now": 14,
        "title": "Who should audit academic manufacturing sites?",
        "context": "Hospitals, the regulator, or accredited third parties: weigh independence against cost.",
    },
    {
        "topic": "globalization",
        "days_from_now": 21,
        "title": "Which regulator abroad should Chinese developers approach first?",
        "context": "Think about data acceptance, speed and the size of the market that an approval opens.",
    },
)
OPEN_PROMPT_DAYS = 10


def _ensure_user(*, username: str, email: str, display_name: str, affiliation: str) -> User:
    """Create the demo account once; a later run leaves its password and profile as the person changed them."""
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": email, "display_name": display_name, "affiliation": affiliation}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    # Email verification is mandatory, so without a verified address the account could not log in.
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


@transaction.atomic
def _ensure_prompts(*, group: Group, topics: dict, author: User, now: datetime) -> list[Prompt]:
    """Open prompts and a schedule; a prompt that already exists (same topic and question) is left alone."""
    created = []
    for spec in OPEN_PROMPTS:
        topic = topics[spec["topic"]]
        if demo_chinese.translate_existing_prompt(topic, spec["title"]):
            continue
        prompt = Prompt.objects.create(
            topic=topic,
            author=author,
            title=spec["title"],
            context=_markdown(spec["context"]),
            **demo_chinese.chinese_version(spec["title"]),
            chatham_house=spec.get("chatham_house", False),
            closes_at=now + timedelta(days=OPEN_PROMPT_DAYS),
        )
        if "poll" in spec:
            poll = spec["poll"]
            save_poll(
                prompt=prompt,
                kind=poll["kind"],
                options=poll.get("options", []),
                statement=poll.get("statement", ""),
                reason_required=poll.get("reason_required", False),
                results_visibility=poll["results_visibility"],
            )
        publish_prompt(prompt_id=prompt.pk, now=now, allowed_from=(Prompt.Status.DRAFT,))
        created.append(prompt)
    local_today = now.astimezone(group.tzinfo).date()
    for spec in SCHEDULED_PROMPTS:
        topic = topics[spec["topic"]]
        if demo_chinese.translate_existing_prompt(topic, spec["title"]):
            continue
        publish_at = datetime.combine(
            local_today + timedelta(days=spec["days_from_now"]), time(9, 0), tzinfo=group.tzinfo
        )
        created.append(
            Prompt.objects.create(
                topic=topic,
                author=author,
                title=spec["title"],
                context=spec["context"],
                **demo_chinese.chinese_version(spec["title"]),
                status=Prompt.Status.SCHEDULED,
                publish_at=publish_at,
                closes_at=publish_at + timedelta(days=OPEN_PROMPT_DAYS),
            )
        )
    return created


def load_demo_content(now: datetime | None = None) -> dict:
    """Bring the demo group, its topics, accounts, threads and prompts into place; running it again adds nothing."""
    now = now or timezone.now()
    group, _ = Group.objects.update_or_create(
        slug=GROUP["slug"],
        defaults={
            "name": GROUP["name"],
            "description": GROUP["description"],
            "visibility": Group.Visibility.PUBLIC,
            "timezone": GROUP["timezone"],
        },
    )
    topics = {}
    for position, spec in enumerate(TOPICS, start=1):
        topics[spec["slug"]], _ = Topic.objects.update_or_create(
            group=group,
            slug=spec["slug"],
            defaults={
                "title": spec["title"],
                "position": position,
                "briefing": spec["briefing"],
                "briefing_language": demo_chinese.ENGLISH,
                "briefing_translated": demo_chinese.BRIEFINGS[spec["slug"]],
            },
        )

    users = {}
    for spec in USERS:
        user = _ensure_user(
            username=spec["username"],
            email=spec["email"],
            display_name=spec["display_name"],
            affiliation=spec["affiliation"],
        )
        membership = add_member(group=group, user=user, role=spec["role"])
        if membership.role != spec["role"]:  # the demo promises an owner to log in as
            membership.role = spec["role"]
            membership.save(update_fields=["role"])
        users[spec["username"]] = user

    created_threads = []
    for spec in THREADS:
        topic = topics[spec["topic"]]
        if topic.threads.filter(title=spec["title"]).exists():
            continue
        thread = start_thread(topic=topic, author=users[spec["author"]], title=spec["title"], body=spec["body"])
        for username, body in spec["replies"]:
            publish_post(thread=thread, author=users[username], body=body)
        created_threads.append(thread)

    group.refresh_from_db()  # the time zone as stored
    created_prompts = _ensure_prompts(group=group, topics=topics, author=users["moderator"], now=now)
    demo_chinese.ensure_cost_summary(topics["cost-and-reimbursement"], users["moderator"], now)
    search_index.rebuild()  # topics and prompts above are written directly, not through the indexing services
    return {
        "group": group,
        "topics": list(topics.values()),
        "users": users,
        "created_threads": created_threads,
        "created_prompts": created_prompts,
    }
