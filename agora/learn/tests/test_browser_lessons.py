"""In Chromium: move each slider of the lessons with the keyboard and see the figure change,
at phone width, as a member (who may compute new settings) and as a visitor."""

import pytest

from agora.conftest import PASSWORD, make_member
from agora.forum.models import Category
from agora.learn import widgets
from agora.learn.lessons import seed_lessons
from agora.learn.models import Article, WidgetResult

pytestmark = [pytest.mark.browser]


def sign_in(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")


def figure_src(widget):
    image = widget.locator(".widget-panel img.widget-figure")
    image.wait_for(state="attached", timeout=90_000)
    image.evaluate("img => img.complete || new Promise(r => img.addEventListener('load', r))")
    assert image.evaluate("img => img.naturalWidth") > 0  # a PNG arrived, not an error
    return image.get_attribute("src")


def press(widget, label, key="ArrowRight"):
    """Move a slider (or a select) from the keyboard, as a member without a mouse would."""
    before = figure_src(widget)
    control = widget.get_by_label(label, exact=False).first
    control.focus()
    control.press(key)
    widget.page.wait_for_function(
        "([el, before]) => { const i = el.querySelector('.widget-panel img.widget-figure');"
        " return i && i.getAttribute('src') !== before && i.complete && i.naturalWidth > 0; }",
        arg=[widget.element_handle(), before],
        timeout=60_000,
    )
    return figure_src(widget)


@pytest.fixture
def lesson_pages(live_server):
    Category.objects.get_or_create(slug="tutorials", defaults={"name": "Tutorials"})
    staff = make_member("teacher", is_staff=True)
    seed_lessons(author=staff)
    make_member("learner")
    return {
        a.series_part: live_server.url + a.get_absolute_url()
        for a in Article.objects.filter(language="en")
    }


def test_sliders_of_the_forward_process_and_the_schedules(page, live_server, lesson_pages):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, "learner")
    page.goto(lesson_pages[1], wait_until="domcontentloaded")
    widgets_on_page = page.locator("section.lesson-widget")
    forward, schedules = widgets_on_page.nth(0), widgets_on_page.nth(1)
    src = press(forward, "Timestep t")
    assert "t=101" in src
    assert "t=102" in press(forward, "Timestep t")
    assert "seed=1" in press(forward, "Noise seed")
    assert "schedule=cosine" in press(forward, "Schedule", "ArrowDown")
    assert "t=251" in press(schedules, "Timestep t")
    assert "T=950" in press(schedules, "Number of steps T", "ArrowLeft")
    assert forward.locator("dl.widget-numbers").inner_text().count("ᾱ_t") >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.problems == []


def test_visitors_see_the_lesson_figures_and_are_asked_to_sign_in_for_new_ones(
    page, live_server, lesson_pages
):
    page.goto(lesson_pages[1], wait_until="domcontentloaded")
    forward = page.locator("section.lesson-widget").first
    figure_src(forward)  # the lesson's own setting: computed for the first visitor
    slider = forward.get_by_label("Timestep t")
    slider.focus()
    slider.press("ArrowRight")
    forward.get_by_text("Sign in to compute them").wait_for()
    assert not WidgetResult.objects.filter(state__t=101).exists()
    page.goto(lesson_pages[4], wait_until="domcontentloaded")  # a training: never for visitors
    game = page.locator("section.lesson-widget").first
    game.get_by_text("Sign in to compute them").wait_for()
    assert WidgetResult.objects.get(kind="gan-game").status == "declared"


def test_the_gan_game_trains_live_when_the_loss_changes(page, live_server, lesson_pages):
    sign_in(page, live_server.url, "learner")
    page.goto(lesson_pages[4], wait_until="domcontentloaded")
    game = page.locator("section.lesson-widget").first
    steps = game.get_by_label("Training steps")
    steps.evaluate("el => { el.value = 50; }")  # the shortest training, then a key press
    steps.focus()
    steps.press("ArrowRight")  # 100 steps
    game.locator(".widget-panel img.widget-figure").wait_for(timeout=90_000)
    page.wait_for_function(
        "() => !document.querySelector('.widget-panel[data-hx-trigger]')"
        " || document.querySelector('.widget-panel img.widget-figure')",
        timeout=90_000,
    )
    assert WidgetResult.objects.filter(kind="gan-game", state__steps=100).exists()
    before = figure_src(game)
    loss = game.get_by_label("Loss")
    loss.select_option("wgan-gp")
    page.wait_for_function(
        "(before) => { const i = document.querySelector('.widget-panel img.widget-figure');"
        " return i && i.getAttribute('src') !== before; }",
        arg=before,
        timeout=120_000,
    )
    assert page.problems == []


def test_the_vae_map_decodes_where_it_is_clicked(page, live_server, lesson_pages):
    from agora.learn.widgets.live import vae_train

    for beta in ("1", "4"):  # the lesson's live trainings as the worker leaves them (shorter)
        state = widgets.get("vae-train").defaults() | {"beta": beta}
        drawn = vae_train(state | {"steps": 30}, lambda *a: None)
        WidgetResult.objects.update_or_create(
            key=widgets.state_key("vae-train", state),
            defaults={
                "kind": "vae-train",
                "state": state,
                "status": "done",
                "png": drawn.png,
                "data": drawn.data,
            },
        )
    sign_in(page, live_server.url, "learner")
    page.goto(lesson_pages[3], wait_until="domcontentloaded")
    first_map = page.locator("section.lesson-widget[data-map-x]").first
    assert "z1=0.1" in press(first_map, "z₁")
    assert "z2=-0.1" in press(first_map, "z₂", "ArrowLeft")
    image = first_map.locator("img.widget-figure")
    box = image.bounding_box()
    before = image.get_attribute("src")
    page.mouse.click(box["x"] + 20, box["y"] + 20)  # near the top left corner: z ≈ (-3, 3)
    page.wait_for_function(
        "(before) => { const i = document.querySelector('[data-map-x] img.widget-figure');"
        " return i && i.getAttribute('src') !== before; }",
        arg=before,
    )
    assert "z1=-2" in image.get_attribute("src") and "z2=2" in image.get_attribute("src")
    interpolate = page.locator("section.lesson-widget").last
    assert "b=8" in press(interpolate, "To digit")
    beta4 = page.locator("section.lesson-widget[data-map-x]").nth(1)  # side by side: β = 4
    assert "beta=4" in figure_src(beta4)
    maps = WidgetResult.objects.filter(kind="vae-map", status="done")
    assert {m.state["model"] for m in maps} == {"zoo:digits8-vae2d", "zoo:digits8-vae2d-beta4"}
    assert page.problems == []


def test_the_gpt_lesson_moves_with_temperature_top_p_the_prompt_and_the_head(
    page, live_server, lesson_pages
):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, "learner")
    page.goto(lesson_pages[5], wait_until="domcontentloaded")
    nxt, heads = (
        page.locator("section.lesson-widget").nth(0),
        page.locator("section.lesson-widget").nth(1),
    )
    first = figure_src(nxt)
    table = nxt.locator("table.widget-table").inner_text()
    assert "temperature=1.1" in press(nxt, "Temperature T")
    assert nxt.locator("table.widget-table").inner_text() != table  # the numbers moved too
    assert "top_p=0.85" in press(nxt, "Top-p", "ArrowLeft")
    prompt = nxt.get_by_label("Prompt")
    prompt.fill("春風")
    prompt.press("Enter")
    page.wait_for_function(
        "() => { const i = document.querySelector('.widget-panel img.widget-figure');"
        " return i && i.getAttribute('src').includes(encodeURIComponent('春風')); }",
        timeout=60_000,
    )
    assert page.url == lesson_pages[5]  # Enter refreshed the figure, it did not leave the page
    prompt.fill("春风")  # simplified: the model only knows traditional characters
    prompt.press("Enter")
    nxt.get_by_text("traditional characters").wait_for()
    assert first != figure_src(heads)
    assert "layer=2" in press(heads, "Layer")
    assert "head=2" in press(heads, "Head")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # only the refused prompt's answer (400, which the panel shows) was an error
    assert [p for p in page.problems if "status of 400" not in p] == []
