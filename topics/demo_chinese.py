"""The demo's Chinese versions, standing for what the group's moderators wrote (topics.bilingual): the topic
briefings, every prompt's question and context, and the summary of the cost topic. Keyed by the English original."""

from datetime import datetime

from groupsite.models import User
from topics.bilingual import ENGLISH
from topics.models import Outcome, Prompt, Topic
from topics.outcomes import save_outcome


def _paragraphs(*blocks: str) -> str:
    # One paragraph a line: the demo's _markdown() joins wrapped lines with spaces, which Chinese does not use.
    return "\n\n".join(blocks)


OPEN_QUESTIONS = "待讨论的问题："

BRIEFINGS = {
    "landscape": _paragraphs(
        "中国已成为全球 CAR-T 研发最活跃的地区之一。由中国医院和企业发起的 CAR-T 临床试验数量超过其他任何国家的申办方，如此大量的研究有助于研究人员发现并验证新靶点。需求同样旺盛，血液肿瘤的高发病率是主要推动力。",
        "政策也在朝同一方向发力。公共资金和国家战略将生物医药列为优先领域，部分目的在于减少对昂贵的西方疗法的依赖。国家药品监督管理局（NMPA）的要求依然严格，但已为创新型国产产品简化了审批路径，这有利于本土初创企业；同时，庞大且相对同质的患者群体使临床试验入组速度很快。",
        OPEN_QUESTIONS,
        "- 这些优势能持续多久？哪一项可能最先消退？\n- 资金和监管如何决定哪些企业能够存活下来？",
    ),
    "cost-and-reimbursement": _paragraphs(
        "由于产品在国内生产，CAR-T 疗法在中国的费用低于西方市场，但价格仍然高到让许多符合条件的患者无法接受治疗。",
        "要扩大可及性，很可能需要新的支付方式：围绕一次性细胞治疗设计的报销机制，以及覆盖此类疗法的商业保险产品。本话题对这些方案进行比较。",
        OPEN_QUESTIONS,
        "- 哪些支付模式可行：按疗效付费、分期付款、城市定制型补充医疗保险，还是国家医保谈判？\n"
        "- 价格降到什么水平，治疗才能从少数患者可及变为广泛可及？",
    ),
    "quality-and-manufacturing": _paragraphs(
        "中国的 CAR-T 产品由众多生产场地制备，既有学术机构，也有商业企业，各场地之间的质量和一致性存在差异。",
        "严格的质量控制和统一的标准既能保护患者，也能让疗效更加可靠。随着越来越多的国产产品获批上市，这一点愈发重要。",
        OPEN_QUESTIONS,
        "- 应当首先统一哪一项：放行检测、效力检测、载体供应，还是身份链管理？\n- 应由谁来审核学术机构的生产？",
    ),
    "solid-tumours": _paragraphs(
        "目前，CAR-T 主要指针对 CD19 的 B 细胞恶性肿瘤治疗。在将这一技术推向实体瘤方面，中国研究人员是最积极的力量之一。",
        "实体瘤面临的障碍在于基础生物学：抑制细胞功能的肿瘤微环境、在肿瘤内分布不均的抗原，以及难以到达肿瘤部位的 CAR-T 细胞。",
        OPEN_QUESTIONS,
        "- 哪些靶点和适应症最接近概念验证？\n- 什么样的证据能够说服全球投资者？",
    ),
    "globalization": _paragraphs(
        "中国 CAR-T 研发企业正在走向海外，寻求国际合作伙伴，并争取境外监管机构的批准，目标是从国内领先者成长为全球竞争者。",
        "将产品授权给海外合作伙伴与自建国际业务是截然不同的两条路径，而两者都面临同一个问题：境外监管机构是否接受在中国开展的临床试验数据。",
        OPEN_QUESTIONS,
        "- 对外授权，还是自建全球业务？\n- 应当优先接触哪些监管机构？\n- 如何让中国的临床试验数据获得境外认可？",
    ),
    "allogeneic": _paragraphs(
        "目前的 CAR-T 产品需要用每位患者自身的细胞逐一制备，物流环节耗时长，生产成本高。异体（“现货型”）产品有望消除这一瓶颈，并大幅降低生产成本。",
        "但这一前景也伴随着尚未解决的生物学和商业问题，无论对新进入者，还是对围绕自体模式建立起来的企业，都是如此。",
        OPEN_QUESTIONS,
        "- 异体产品距离获批还有多远？\n- 移植物抗宿主病和持续性不足的问题能否克服？\n- 现有的自体 CAR-T 企业将何去何从？",
    ),
}

# English question -> (Chinese question, Chinese context).
PROMPTS = {
    "Which part of China's CAR-T advantage will last longest?": (
        "中国 CAR-T 的哪项优势最为持久？",
        "庞大的试验规模、快速的患者入组、国家资金支持，以及加快国产产品审批的监管机构，如今都在帮助中国研发企业。其中一些优势是结构性的，另一些可能会逐渐消退。请选出你认为未来十年最值得押注的一项，并说明哪些因素可能削弱它。",
    ),
    "What price point would open CAR-T to most eligible patients?": (
        "什么样的价格能让大多数符合条件的患者用上 CAR-T？",
        "国产产品的价格已低于西方产品，但能够自费承担的患者仍然很少。请给出一个你认为能明显提高使用率的价格（或由保险承担的比例），并说明其余部分应由哪类支付方承担。",
    ),
    "What should be standardized first across manufacturing sites?": (
        "各生产场地之间应当首先统一哪项标准？",
        "学术机构与商业企业的生产场地在产品放行和追踪方式上各不相同。如果明年只能强制推行一项标准，哪一项对安全性和疗效一致性的帮助最大？",
    ),
    "Which solid-tumour target is closest to a convincing proof of concept?": (
        "哪个实体瘤靶点最接近令人信服的概念验证？",
        "这一领域的生物学难题不少：不利的肿瘤微环境、不均一的抗原表达，以及细胞难以浸润到组织中。请分享你认为最有前景的靶点或适应症，以及能够说服中国以外投资者的证据。",
    ),
    "License out or build a global organization?": (
        "对外授权，还是自建全球团队？",
        "中国研发企业既可以与外国公司合作，也可以自行将产品推向海外。本议题适用查塔姆研究所规则：请畅所欲言，成员看不到发言者的姓名。",
    ),
    "When will an off-the-shelf CAR-T product be approved in China?": (
        "现货型 CAR-T 产品何时能在中国获批？",
        "异体产品可以免去针对每位患者的个体化生产及其大部分成本，但移植物抗宿主病和持续时间短仍是悬而未决的问题。请给出你的预估，并说明它取决于哪些因素。",
    ),
    "Would outcome-based payment work for CAR-T in China?": (
        "按疗效付费在中国的 CAR-T 领域行得通吗？",
        "按疗效付费需要随访数据，也需要有人负责收集。目前谁能承担这项工作？",
    ),
    "Who should audit academic manufacturing sites?": (
        "应由谁来审核学术机构的生产场地？",
        "医院、监管机构，还是经认可的第三方？请在独立性与成本之间做出权衡。",
    ),
    "Which regulator abroad should Chinese developers approach first?": (
        "中国研发企业应当优先接触哪家境外监管机构？",
        "请综合考虑数据认可度、审批速度，以及获批后能够打开的市场规模。",
    ),
}

# The summary of the cost topic, as the moderator wrote it in English and then in Chinese.
COST_SUMMARY = {
    "takeaways": (
        "- Domestic manufacturing keeps prices below Western levels, but cost is still the main barrier for "
        "eligible patients.\n"
        "- Four ways of paying are on the table: outcome-based payment, instalments, city-level supplementary "
        "insurance and national reimbursement negotiation. They can be combined.\n"
        "- Outcome-based payment depends on follow-up data that someone has to collect and pay for; instalments "
        "are simpler to run."
    ),
    "open_questions": (
        "- Who would collect, and pay for, the follow-up data an outcome-based scheme needs?\n"
        "- Will city-level insurance move faster than a national negotiation?"
    ),
    "takeaways_translated": (
        "- 国内生产使价格低于西方水平，但费用仍是符合条件的患者接受治疗的主要障碍。\n"
        "- 目前讨论的支付途径有四种：按疗效付费、分期付款、城市定制型补充医疗保险和国家医保谈判，几种方式可以组合使用。\n"
        "- 按疗效付费有赖于随访数据，而这些数据需要有人收集并承担费用；分期付款在操作上更为简单。"
    ),
    "open_questions_translated": (
        "- 在按疗效付费的方案中，由谁收集随访数据、由谁承担相关费用？\n- 城市补充医疗保险会比国家医保谈判推进得更快吗？"
    ),
}


def chinese_version(title: str) -> dict:
    title_translated, context_translated = PROMPTS[title]
    return {"language": ENGLISH, "title_translated": title_translated, "context_translated": context_translated}


def translate_existing_prompt(topic: Topic, title: str) -> bool:
    """True if the prompt exists; one loaded before the demo had Chinese versions gets its version now."""
    prompt = Prompt.objects.filter(topic=topic, title=title).first()
    if prompt is None:
        return False
    if not prompt.title_translated:
        for name, value in chinese_version(title).items():
            setattr(prompt, name, value)
        prompt.save(update_fields=["language", "title_translated", "context_translated"])
    return True


def ensure_cost_summary(topic: Topic, author: User, now: datetime) -> None:
    """The cost topic's summary, in English with the moderators' Chinese version; written once, then left alone."""
    if not Outcome.objects.filter(topic=topic, prompt__isnull=True).exists():
        save_outcome(topic=topic, author=author, language=ENGLISH, now=now, **COST_SUMMARY)
