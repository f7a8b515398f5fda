"""Hostile inputs for the XSS proof, by family.

Gathered from public sources and rewritten to call one sentinel: the OWASP XSS Filter Evasion Cheat Sheet
(tag and attribute tricks, encodings, malformed markup), PortSwigger's XSS cheat sheet (event handlers by tag),
mutation-XSS cases published with DOMPurify and by Cure53/Heyes (markup that changes meaning when the browser
re-parses it), and Markdown payload lists (javascript:/data: links and images, reference links, autolinks,
entity-encoded schemes; Telescope CVE-2014-5144). Every payload either opens a dialog (alert/confirm/prompt)
or calls `xss()`, which the browser test defines as a sentinel; a test that sees either has found a hole.
"""

SENTINEL = "xss()"

# Plain HTML: tags that run script directly or through an event handler.
HTML_TAGS = [
    "<script>xss()</script>",
    "<SCRIPT>xss()</SCRIPT>",
    "<script src=//127.0.0.1:9/x.js></script>",
    "<script>alert(1)</script>",
    "<img src=x onerror=xss()>",
    "<IMG SRC=x ONERROR=xss()>",
    "<img src=x onerror=\"xss()\">",
    "<img src=x onerror='xss()'>",
    "<img src=x onerror=`xss()`>",
    "<img/src=x/onerror=xss()>",
    "<img src=x:alert(alt) onerror=eval(src) alt=xss()>",
    "<svg onload=xss()>",
    "<svg/onload=xss()>",
    "<svg><script>xss()</script></svg>",
    "<svg><animate onbegin=xss() attributeName=x dur=1s>",
    "<svg><set onbegin=xss() attributeName=x to=1>",
    "<body onload=xss()>",
    "<iframe src=javascript:xss()></iframe>",
    "<iframe srcdoc=\"<script>parent.xss()</script>\"></iframe>",
    "<object data=javascript:xss()></object>",
    "<embed src=javascript:xss()>",
    "<video><source onerror=xss()></video>",
    "<audio src=x onerror=xss()>",
    "<details open ontoggle=xss()>",
    "<input autofocus onfocus=xss()>",
    "<select autofocus onfocus=xss()></select>",
    "<textarea autofocus onfocus=xss()></textarea>",
    "<keygen autofocus onfocus=xss()>",
    "<marquee onstart=xss()>x</marquee>",
    "<div onmouseover=xss()>hover</div>",
    "<a href=javascript:xss()>click</a>",
    "<a href=\"javascript:xss()\">click</a>",
    "<a href=\"JaVaScRiPt:xss()\">click</a>",
    "<a href=\"&#106;avascript:xss()\">click</a>",
    "<a href=\"java&#x09;script:xss()\">click</a>",
    "<a href=\"data:text/html,<script>xss()</script>\">click</a>",
    "<form action=javascript:xss()><button>go</button></form>",
    "<button formaction=javascript:xss()>go</button>",
    "<math><maction actiontype=statusline xlink:href=javascript:xss()>click</maction></math>",
    "<base href=javascript:xss()//>",
    "<link rel=import href=data:text/html,<script>xss()</script>>",
    "<meta http-equiv=refresh content=\"0;url=javascript:xss()\">",
    "<style>@import 'javascript:xss()';</style>",
    "<div style=\"background:url(javascript:xss())\">x</div>",
    "<table background=javascript:xss()>",
    "<isindex type=image src=1 onerror=xss()>",
    "<img src=\"x\" onerror=\"&#120;&#115;&#115;()\">",
    "<body onpageshow=xss()>",
    "<svg><a xlink:href=javascript:xss()><text x=20 y=20>click</text></a></svg>",
    "<template><img src=x onerror=xss()></template>",
]

# Breaking out of an attribute or element the value might be placed in.
BREAKOUTS = [
    "\"><script>xss()</script>",
    "'><script>xss()</script>",
    "\"><img src=x onerror=xss()>",
    "'><img src=x onerror=xss()>",
    "\" onmouseover=\"xss()",
    "' onmouseover='xss()",
    "\" autofocus onfocus=\"xss()",
    "\" onfocus=xss() autofocus x=\"",
    "</title><script>xss()</script>",
    "</textarea><script>xss()</script>",
    "</style><script>xss()</script>",
    "</script><script>xss()</script>",
    "</pre><img src=x onerror=xss()>",
    "--><script>xss()</script>",
    "]]><script>xss()</script>",
    "</option></select><img src=x onerror=xss()>",
    "\"/><svg onload=xss()>",
    "`><img src=x onerror=xss()>",
    "javascript:xss()",
    "javascript://%0axss()",
    "&lt;script&gt;xss()&lt;/script&gt;",
    "&lt;img src=x onerror=xss()&gt;",
    "&#60;img src=x onerror=xss()&#62;",
    "%3Cscript%3Exss()%3C/script%3E",
    "\\u003cscript\\u003exss()\\u003c/script\\u003e",
    "{{constructor.constructor('xss()')()}}",
    "{% raw %}<script>xss()</script>",
    "${xss()}",
]

# OWASP filter evasion: malformed, split and encoded markup that lenient parsers still run.
EVASIONS = [
    "<scr<script>ipt>xss()</scr</script>ipt>",
    "<<script>xss()//<</script>",
    "<script/x>xss()</script>",
    "<script\n>xss()</script>",
    "<script\t>xss()</script>",
    "<img src=x onerror\n=xss()>",
    "<img src=x\tonerror=xss()>",
    "<img src=x onerror=xss()//",
    "<img \"\"\"><script>xss()</script>\">",
    "<img src=`x` onerror=xss()>",
    "<img src= onerror=xss()>",
    "<a href=\"jav&#x0A;ascript:xss()\">click</a>",
    "<a href=\"jav&#x0D;ascript:xss()\">click</a>",
    "<a href=\" &#14;  javascript:xss()\">click</a>",
    "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058xss()\">x</a>",
    "<a href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;xss()\">x</a>",
    "<a href=\"javascript&colon;xss()\">click</a>",
    "<a href=\"java\u0000script:xss()\">click</a>",
    "<svg><script>xss&#40;&#41;</script></svg>",
    "<svg><script href=data:,xss() />",
    "<IMG SRC=\"jav\tascript:xss();\">",
    "<IMG SRC=javascript:xss()>",
    "<IMG LOWSRC=\"javascript:xss()\">",
    "<BGSOUND SRC=\"javascript:xss();\">",
    "<BR SIZE=\"&{xss()}\">",
    "<DIV STYLE=\"width: expression(xss());\">",
    "<XSS STYLE=\"behavior: url(xss.htc);\">",
    "<FRAMESET><FRAME SRC=\"javascript:xss();\"></FRAMESET>",
    "<STYLE>li {list-style-image: url(\"javascript:xss()\");}</STYLE><UL><LI>x</UL>",
    "<IMG DYNSRC=\"javascript:xss()\">",
    "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:xss();\">",
    "<A HREF=\"http://127.0.0.1/\" onclick=xss()>x</A>",
    "<img src=x onerror=xss() />",
    "\uff1cscript\uff1exss()\uff1c/script\uff1e",
    "<img src=x onerror=\"&#x78;ss()\">",
]

# Mutation XSS: markup that is harmless as parsed once but turns active when serialized and parsed again.
MUTATIONS = [
    "<noscript><p title=\"</noscript><img src=x onerror=xss()>\">",
    "<svg></p><style><a id=\"</style><img src=1 onerror=xss()>\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=xss()>",
    "<math><mi><mglyph><svg><mtext><textarea><path id=\"</textarea><img onerror=xss() src=1>\">",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=xss()>",
    "<svg><style><img src=x onerror=xss()></style></svg>",
    "<listing>&lt;img src=1 onerror=xss()&gt;</listing>",
    "<xmp><img src=x onerror=xss()></xmp>",
    "<noembed><img title=\"</noembed><img src=x onerror=xss()>\"></noembed>",
    "<noframes><img title=\"</noframes><img src=x onerror=xss()>\"></noframes>",
    "<iframe><img title=\"</iframe><img src=x onerror=xss()>\"></iframe>",
    "<title><img title=\"</title><img src=x onerror=xss()>\"></title>",
    "<a title=\"a\n\n<img src=x onerror=xss()>\">x</a>",
    "<!--<img src=\"--><img src=x onerror=xss()//\">",
    "<![CDATA[><img src=x onerror=xss()>]]>",
    "<?xml><img src=x onerror=xss()>",
    "<svg><p><style><a id=\"</style><img src=1 onerror=xss()>\">",
    "<table><td><img src=x onerror=xss()></td></table>",
]

# Markdown: links, images, references and autolinks with dangerous schemes, and raw HTML blocks.
MARKDOWN = [
    "[click](javascript:xss())",
    "[click](JaVaScRiPt:xss())",
    "[click]( javascript:xss())",
    "[click](javascript://example.org%0Axss())",
    "[click](javascript&#58;xss())",
    "[click](&#x6A;avascript:xss())",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;xss())",
    "[click](java%0ascript:xss())",
    "[click](java\tscript:xss())",
    "[click](data:text/html;base64,PHNjcmlwdD54c3MoKTwvc2NyaXB0Pg==)",
    "[click](vbscript:xss())",
    "[click](\"javascript:xss()\")",
    "[click](<javascript:xss()>)",
    "[click](https://example.org \"x\" onclick=\"xss())",
    "[click](https://example.org\"onmouseover=\"xss())",
    "![img](javascript:xss())",
    "![img](x\" onerror=\"xss())",
    "![img](\"onerror=\"xss())",
    "![x'\"`onerror=xss()](x)",
    "![img](data:image/svg+xml,<svg onload=xss()>)",
    "[click][ref]\n\n[ref]: javascript:xss()",
    "[click][ref]\n\n[ref]: <javascript:xss()>",
    "[click][ref]\n\n[ref]: &#x6A;avascript:xss()",
    "![img][ref]\n\n[ref]: javascript:xss()",
    "<javascript:xss()>",
    "<JAVASCRIPT:xss()>",
    "<data:text/html,<script>xss()</script>>",
    "<https://example.org/\"onmouseover=\"xss()>",
    "https://example.org/<img src=x onerror=xss()>",
    "www.example.org/\"><script>xss()</script>",
    "`<img src=x onerror=xss()>`",
    "```\n<img src=x onerror=xss()>\n```",
    "```html\" onmouseover=\"xss()\n<b>x</b>\n```",
    "    <script>xss()</script>",
    "> <img src=x onerror=xss()>",
    "* <img src=x onerror=xss()>",
    "| a | b |\n| - | - |\n| <img src=x onerror=xss()> | [x](javascript:xss()) |",
    "<div markdown=\"1\">[x](javascript:xss())</div>",
    "<div>\n<img src=x onerror=xss()>\n</div>",
    "<details>\n<summary>open</summary>\n<img src=x onerror=xss()>\n</details>",
    "**<img src=x onerror=xss()>**",
    "_[click](javascript:xss())_",
    "[<img src=x onerror=xss()>](https://example.org)",
    "[click](https://example.org \"<img src=x onerror=xss()>\")",
    "*[XSS]: <img src=x onerror=xss()>\n\nXSS",
    "<a href=\"https://example.org\" title=\"x\" onclick=\"xss()\">link</a>",
    "<abbr title=\"x\" onmouseover=\"xss()\">a</abbr>",
    "<code class=\"language-x\" onmouseover=\"xss()\">x</code>",
    "<p align=\"left\" style=\"position:fixed;top:0\" onclick=\"xss()\">x</p>",
    "[a](mailto:x@example.org?body=<script>xss()</script>)",
]

ALL = [
    *(("html", payload) for payload in HTML_TAGS),
    *(("breakout", payload) for payload in BREAKOUTS),
    *(("evasion", payload) for payload in EVASIONS),
    *(("mutation", payload) for payload in MUTATIONS),
    *(("markdown", payload) for payload in MARKDOWN),
]


def pack(payloads, limit: int, separator: str = " ") -> list[str]:
    """Payloads joined into values of at most `limit` characters; a payload longer than that gets its own, cut."""
    values, current = [], ""
    for payload in payloads:
        candidate = f"{current}{separator}{payload}" if current else payload
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            values.append(current)
        current = payload[:limit]
    if current:
        values.append(current)
    return values
