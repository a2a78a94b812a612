"""The course book: building it runs every lesson in fast mode; a real browser then reads it.

The build is the lessons' fast-mode test (tests/test_notebooks.py runs the solutions). The browser
is Debian's Chromium driven by Playwright, offline: any request that leaves the site fails the test.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "build" / "book-fast"
CACHE = ROOT / "build" / "book-cache-fast"
CHROMIUM = Path(os.environ.get("SEQ_CHROMIUM", "/usr/bin/chromium"))
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
ASSIGNMENTS = sorted((ROOT / "assignments").glob("*.ipynb"))


@pytest.fixture(scope="module")
def site():
    start = time.perf_counter()
    # ipykernel shows what is written to file descriptor 2 (TensorFlow's C++ logs) in the
    # notebook, but not under pytest: the kernels must run as they do in `make book`.
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"}
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "lessons", str(SITE)],
        cwd=ROOT, env={**env, "SEQ_FAST": "1"}, capture_output=True, text=True,
    )
    if result.returncode:
        pytest.fail(f"the book did not build (a lesson failed in fast mode?):\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-8000:]}")
    for line in result.stdout.splitlines():
        if "Executed notebook" in line:
            print(line)
    print(f"book built in {time.perf_counter() - start:.0f} s")
    return SITE


def test_every_lesson_is_executed_and_cached(site):
    from jupyter_cache import get_cache

    cache = get_cache(str(CACHE))
    for lesson in LESSONS:
        assert (site / f"{lesson.stem}.html").exists(), f"no page for {lesson.name}"
        # A rebuild finds the outputs here and runs nothing.
        cache.match_cache_notebook(nbformat.read(lesson, as_version=4))


# TensorFlow's C++ log lines (Abseil's prefix: severity, date, time, thread, file:line) and its
# start-up banner; seqlib.quiet keeps the harmless ones out of notebooks.
TENSORFLOW_LOG = re.compile(r"absl::InitializeLog|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\]")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_page_shows_no_tensorflow_log_noise(site, lesson):
    page = (site / f"{lesson.stem}.html").read_text(encoding="utf-8")
    noise = [line for line in page.splitlines() if TENSORFLOW_LOG.search(line)]
    listed = "\n".join(line[:200] for line in noise[:5])
    assert not noise, f"{lesson.stem}: TensorFlow log lines in the executed outputs:\n{listed}"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does it as root)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-background-networking", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run",
        ])
        yield browser
        browser.close()


class Reader:
    """A browser tab that opens book pages offline and records what goes wrong."""

    def __init__(self, browser, site):
        self.site = site
        self.page = browser.new_page()
        self.external, self.errors = [], []
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def open(self, name):
        self.page.goto((self.site / name).as_uri())
        if self.page.evaluate("() => document.querySelector('.math') !== null"):
            self.page.wait_for_function("() => window.MathJax?.startup?.promise")
            self.page.evaluate("() => MathJax.startup.promise")
        assert not self.external, f"{name} asked the network for {self.external}"
        assert not self.errors, f"{name} raised {self.errors}"
        return self.page


@pytest.fixture
def reader(browser, site):
    reader = Reader(browser, site)
    yield reader
    reader.page.close()


def rendered_math(page):
    """(math elements, elements MathJax rendered, text left as raw TeX)."""
    return page.evaluate("""() => {
        const math = Array.from(document.querySelectorAll('.math'));
        const rendered = math.filter(m => m.querySelector('mjx-container'));
        const text = document.querySelector('main').innerText;
        const raw = (text.match(/\\$\\$|\\\\\\[|\\\\\\(|\\\\begin\\{/g) || []);
        return [math.length, rendered.length, raw];
    }""")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_page_shows_equations_and_plots(reader, lesson):
    page = reader.open(f"{lesson.stem}.html")
    assert page.title().startswith("Lesson"), page.title()
    total, rendered, raw = rendered_math(page)
    assert total and rendered == total, f"MathJax rendered {rendered} of {total} equations"
    assert not raw, f"raw TeX left on the page: {raw[:5]}"
    images = page.evaluate("""() => Array.from(document.querySelectorAll('.cell_output img'))
        .map(img => [img.getAttribute('src'), img.naturalWidth])""")
    assert images, "no plot images in the executed lesson"
    for source, width in images:
        assert source and width > 0, f"a plot did not load: {source!r}"


def test_landing_page_leads_to_every_lesson_and_course_page(reader):
    page = reader.open("index.html")
    assert "seqcourse" in page.title()
    links = set(page.evaluate("""() => Array.from(document.querySelectorAll('nav a'))
        .map(a => a.getAttribute('href'))"""))
    expected = {f"{lesson.stem}.html" for lesson in LESSONS}
    expected |= {"syllabus.html", "notation.html", "assignments.html"}
    assert expected <= links, f"missing from the navigation: {sorted(expected - links)}"


@pytest.mark.parametrize("name", ["notation.html", "syllabus.html"])
def test_course_pages_render_their_math(reader, name):
    total, rendered, raw = rendered_math(reader.open(name))
    assert total and rendered == total and not raw


def test_assignments_page_links_the_student_copies_only(reader, site):
    page = reader.open("assignments.html")
    hrefs = page.evaluate("""() => Array.from(document.querySelectorAll('a'))
        .map(a => a.getAttribute('href')).filter(h => h && h.endsWith('.ipynb'))""")
    assert sorted(Path(h).name for h in hrefs) == [a.name for a in ASSIGNMENTS]
    for href in hrefs:
        served = (site / href).read_bytes()
        assert served == (ROOT / "assignments" / Path(href).name).read_bytes()
    assert not re.search(r"solutions/", page.content())
