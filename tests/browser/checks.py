"""What every console page's browser test checks (docs/console.md, "Tests"): axe-core finds no serious or
critical violation, the page does not scroll sideways at 360 px, and its screenshots at 1280 px and 375 px
are saved into docs/screenshots/ (the README's "Screenshots" section links them)."""

from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE = VENDOR / "axe-4.14.1.min.js"  # axe-core 4.14.1 from npm (MPL-2.0, licence beside it), never downloaded here
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE, DESKTOP = 360, 1280
BLOCKING = ("serious", "critical")


def assert_accessible(page, *, exclude: tuple[str, ...] = ()) -> list[dict]:
    """axe-core on the page as it is: fails on any serious or critical violation, naming each rule and the
    elements it found. Injected through DevTools (page.evaluate), which the page's CSP does not govern,
    so the test adds no script source to the policy. Returns the minor and moderate findings."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async (exclude) => {
            const context = exclude.length ? {exclude: exclude.map((s) => [s])} : document;
            const found = await axe.run(context, {resultTypes: ["violations"]});
            return found.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                                  nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}));
        }""", list(exclude))
    blocking = [v for v in result if v["impact"] in BLOCKING]
    assert not blocking, "axe: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
                                             for v in blocking)
    return [v for v in result if v["impact"] not in BLOCKING]


def assert_fits_a_phone(page, width: int = PHONE) -> None:
    """At a 360 px wide viewport the page does not scroll sideways."""
    page.set_viewport_size({"width": width, "height": 740})
    page.wait_for_timeout(50)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(f"""Array.from(document.querySelectorAll('body *'))
        .filter((e) => e.getBoundingClientRect().right > {width} + 1)
        .slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                        (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''))""")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide at {width} px: {wide}"


def save_screenshots(page, name: str) -> list[Path]:
    """docs/screenshots/<name>-1280.png and <name>-375.png (the README links them): the whole page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for width in (DESKTOP, 375):
        page.set_viewport_size({"width": width, "height": 900 if width == DESKTOP else 812})
        page.wait_for_timeout(50)
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        saved.append(path)
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    return saved


def check_page(page, name: str, *, exclude: tuple[str, ...] = ()) -> None:
    """What every console page's browser test asserts: accessible, fits a phone, screenshots saved."""
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    assert_accessible(page, exclude=exclude)
    assert_fits_a_phone(page)
    assert_accessible(page, exclude=exclude)  # the phone layout too
    save_screenshots(page, name)


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/console/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
