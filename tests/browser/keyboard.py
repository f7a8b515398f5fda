"""Moving through a page as someone without a mouse does: Tab, Shift+Tab, Enter and Space (README: Accessibility)."""

# Where the focus is, and whether a sighted keyboard user can see it there: a :focus-visible outline at least 2 px wide.
_FOCUS = """target => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? `[name=${el.name}]` : "");
  return {
    name: `${name} "${(el.innerText || el.value || "").trim().slice(0, 40)}"`,
    ring: el.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
      && style.outlineColor !== "rgba(0, 0, 0, 0)",
    arrived: el === target,
  };
}"""


def tab_to(page, target, *, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (Shift+Tab when backwards) until the locator `target` has the focus; every element passed on the way
    must show a visible focus ring."""
    element = target.element_handle()
    passed = []
    if element.evaluate("el => el === document.activeElement"):
        return
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focus = page.evaluate(_FOCUS, element)
        assert focus["ring"], f"No visible focus ring on {focus['name']} ({page.url})"
        if focus["arrived"]:
            return
        passed.append(focus["name"])
    raise AssertionError(f"{limit} presses of Tab never reached {target} on {page.url}; passed: {passed}")


def skip_to_main(page) -> None:
    """The first Tab on a fresh page reaches the visible skip link, and Enter on it moves the Tab order into <main>."""
    page.keyboard.press("Tab")
    skip_link = page.locator("a.skip-link")
    assert skip_link.evaluate("el => el === document.activeElement"), f"The skip link is not first on {page.url}"
    box = skip_link.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, "The focused skip link is off screen"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)"), "Skip link led elsewhere"
