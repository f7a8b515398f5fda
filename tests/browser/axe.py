"""axe-core's WCAG 2.2 AA checks on a page the journeys reach (README: Accessibility).

axe-core comes inside the pinned axe-playwright-python package (its axe.min.js), so the check runs offline. It is
injected with page.evaluate, which Playwright runs through the DevTools protocol: the page's Content-Security-Policy
(script-src 'self', no 'unsafe-eval') governs the page's own scripts, not what the test evaluates, so the strict
policy stays on while axe runs, and the `page` fixture still fails on anything the policy blocks.
"""

from axe_playwright_python.sync_playwright import Axe

# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA; axe's best practices and AAA rules are left out.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

_axe = Axe()


def accessibility_problems(page) -> list[str]:
    """Each serious or critical WCAG 2.2 AA violation on the page as it is now, one readable line per rule."""
    options = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
    violations = _axe.run(page, options=options).response["violations"]
    return [
        f"{violation['id']} ({violation['impact']}) on {page.url}: {violation['help']}; "
        f"at {', '.join(' '.join(node['target']) for node in violation['nodes'])}"
        for violation in violations
        if violation["impact"] in BLOCKING_IMPACTS
    ]
