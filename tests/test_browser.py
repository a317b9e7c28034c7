"""Browser tests: headless system Chromium drives the HTML report and the what-if app (selenium)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).parent / "artifacts"

if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
    pytest.skip("system Chromium / chromedriver not installed (.ci/run installs them)", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402, F401


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,900",
                "--disable-gpu"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=opts)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def _full_screenshot(driver, name: str) -> None:
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1366, min(max(height + 100, 900), 9000))
    driver.save_screenshot(str(ARTIFACTS / name))
    driver.set_window_size(1366, 900)


def test_report_draws_every_figure_offline(browser, tmp_path):
    from stargate.pipeline import plan
    from stargate.report import render_html
    from stargate.roadmap import load_programme, simulate
    from stargate.scenario import default_scenario

    page = render_html(plan(default_scenario()), simulate(load_programme(), 1000, seed=0))
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions",
                            {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    try:
        browser.get(path.as_uri())
        WebDriverWait(browser, 30).until(lambda d: d.execute_script(
            "return document.querySelectorAll('.js-plotly-plot .main-svg').length") >= 5)
        drawn = browser.execute_script(
            "return [...document.querySelectorAll('.js-plotly-plot')].filter(e => e.querySelector('svg')).length")
        assert drawn == page.count("class='figure'") == 5
        heights = browser.execute_script(
            "return [...document.querySelectorAll('.js-plotly-plot')].map(e => e.getBoundingClientRect().height)")
        assert all(300 <= h <= 500 for h in heights), heights
        _full_screenshot(browser, "report.png")
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions",
                                {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


@pytest.fixture(scope="module")
def app_url():
    from werkzeug.serving import make_server

    from stargate.app import create_app

    server = make_server("127.0.0.1", 0, create_app().server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def _choose(driver, dropdown_id: str, value: str) -> None:
    box = driver.find_element(By.ID, dropdown_id)
    box.click()
    field = box.find_element(By.CSS_SELECTOR, "input")
    field.send_keys(value)
    field.send_keys("\n")


def _set(driver, input_id: str, value: str) -> None:
    field = driver.find_element(By.ID, input_id)
    field.clear()
    field.send_keys(value)


def _run_and_wait(driver, previous: str | None) -> str:
    driver.find_element(By.ID, "run").click()

    def done(d):
        err = d.find_element(By.ID, "error").text
        if err:
            return ("error", err)
        shown = d.find_elements(By.ID, "training-time")
        if shown and shown[0].text and shown[0].text != previous:
            return ("ok", shown[0].text)
        return False

    return WebDriverWait(driver, 60, poll_frequency=0.3).until(done)


def test_app_loads_runs_and_shows_claims(browser, app_url):
    browser.get(app_url)
    WebDriverWait(browser, 30).until(ec.element_to_be_clickable((By.ID, "run")))
    kind, first = _run_and_wait(browser, None)
    assert kind == "ok", first
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot svg")) >= 4)
    _full_screenshot(browser, "app_default.png")

    browser.find_element(By.XPATH, "//div[contains(@class,'tab') and normalize-space()='Claims']").click()
    WebDriverWait(browser, 60).until(lambda d: "holds" in d.find_element(By.ID, "claims").text)
    _full_screenshot(browser, "app_claims.png")


