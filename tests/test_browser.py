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
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


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
    """The whole page in one PNG under tests/artifacts/ (the window grown to the page, browser chrome counted)."""
    height = driver.execute_script(
        "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
    chrome = driver.execute_script("return window.outerHeight - window.innerHeight") or 0
    driver.set_window_size(1366, min(max(height + chrome + 20, 900), 12000))
    driver.save_screenshot(str(ARTIFACTS / name))
    print(f"screenshot: {ARTIFACTS / name}")
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
    """Pick ``value`` in a Dash 4 dropdown as a user does: open it, click the option (then it closes)."""
    driver.find_element(By.ID, dropdown_id).click()
    option = WebDriverWait(driver, 10).until(ec.element_to_be_clickable(
        (By.XPATH, f"//label[@role='option'][.//input[@value='{value}']]")))
    option.click()
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, f"{dropdown_id}-value").text.strip() == value)


def _set(driver, input_id: str, value: str) -> None:
    field = driver.find_element(By.ID, input_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys(value)


def _text(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).get_attribute("textContent").strip()


def _click_and_wait(driver, button: str, status: str, label: str, timeout: float = 240) -> str:
    """Click ``button`` and wait until ``status`` reports the click handled ("run 3: ..."); return the status.

    The status names the click count, so it changes with every click, whatever the outcome.
    """
    before = _text(driver, status)
    driver.find_element(By.ID, button).click()
    return WebDriverWait(driver, timeout, poll_frequency=0.3).until(
        lambda d: (t := _text(d, status)) != before and t.startswith(f"{label} ") and t)


def _run(driver) -> tuple[str, str]:
    """Run the plan; (error message, training time shown)."""
    _click_and_wait(driver, "run", "run-status", "run")
    shown = driver.find_elements(By.ID, "training-time")
    return _text(driver, "error"), shown[0].text if shown else ""


def _open_app(driver, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, 30).until(ec.element_to_be_clickable((By.ID, "run")))


def _no_traceback(driver) -> None:
    page = driver.find_element(By.TAG_NAME, "body").text
    assert "Traceback" not in page and 'File "' not in page


def test_app_loads_runs_and_shows_claims(browser, app_url):
    _open_app(browser, app_url)
    error, days = _run(browser)
    assert not error and days.endswith("days"), error
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot svg")) >= 4)
    _full_screenshot(browser, "app_default.png")

    browser.find_element(By.XPATH, "//div[contains(@class,'tab') and normalize-space()='Claims']").click()
    WebDriverWait(browser, 60).until(lambda d: "holds" in d.find_element(By.ID, "claims").text)
    _full_screenshot(browser, "app_claims.png")


def test_app_changing_the_accelerator_changes_the_training_time(browser, app_url):
    _open_app(browser, app_url)
    _set(browser, "count", "100000")
    error, on_gb200 = _run(browser)
    assert not error, error
    assert "GB200" in _text(browser, "headline")
    _choose(browser, "accelerator", "h100-sxm")
    error, on_h100 = _run(browser)
    assert not error, error
    assert "H100" in _text(browser, "headline") and "100,000" in _text(browser, "headline")
    assert on_h100 != on_gb200
    # a frontier run of 100 days: H100's lower peak trains a smaller run, failure-free in a different time
    assert float(on_h100.split()[0].replace(",", "")) != pytest.approx(float(on_gb200.split()[0].replace(",", "")))
    _full_screenshot(browser, "app_h100.png")


@pytest.mark.parametrize(("field", "bad", "named"), [("count", "-5", "cluster.count"),
                                                     ("workload-amount", "abc", "workload.run_days")])
def test_app_bad_value_shows_a_message_and_the_next_run_works(browser, app_url, field, bad, named):
    _open_app(browser, app_url)
    _set(browser, field, bad)
    error, days = _run(browser)
    assert error.startswith("Bad input:") and named in error, error
    assert not days  # the last result is taken down
    _no_traceback(browser)
    if field == "count":
        _full_screenshot(browser, "app_error.png")
    _set(browser, field, "50000" if field == "count" else "60")
    error, days = _run(browser)
    assert not error and days.endswith("days"), error
    assert _text(browser, "error") == ""


def _downloads(driver, directory: Path) -> None:
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(directory),
                                                           "eventsEnabled": True})


def _downloaded(directory: Path, name: str, timeout: float = 60) -> str:
    path = directory / name
    WebDriverWait(None, timeout, poll_frequency=0.3, ignored_exceptions=()).until(
        lambda _: path.exists() and path.stat().st_size > 0 and not (directory / f"{name}.crdownload").exists())
    return path.read_text(encoding="utf-8")


def test_app_downloads_results_csv_and_report(browser, app_url, tmp_path):
    _downloads(browser, tmp_path)
    _open_app(browser, app_url)
    _set(browser, "count", "65536")
    error, days = _run(browser)
    assert not error, error
    browser.find_element(By.ID, "dl-csv-btn").click()
    rows = {line.split(",")[0]: line.split(",")[-1] for line in _downloaded(tmp_path, "results.csv").splitlines()}
    assert rows["figure"] == "value"
    assert f"{float(rows['training_days']):,.2f} days" == days
    assert float(rows["gpus"]) == 65536
    browser.find_element(By.ID, "dl-report-btn").click()
    report = _downloaded(tmp_path, "report.html", timeout=120)
    assert report.startswith("<!DOCTYPE html>") and "65,536" in report and "Plotly" in report
    browser.find_element(By.ID, "dl-json-btn").click()
    assert '"training"' in _downloaded(tmp_path, "results.json")


def test_app_compares_two_scenarios_and_downloads_the_comparison(browser, app_url, tmp_path):
    _downloads(browser, tmp_path)
    _open_app(browser, app_url)
    _set(browser, "count", "65536")
    browser.find_element(By.XPATH, "//div[contains(@class,'tab') and normalize-space()='Compare']").click()
    WebDriverWait(browser, 30).until(ec.element_to_be_clickable((By.ID, "compare-run")))
    _choose(browser, "b-accelerator", "h100-sxm")
    _set(browser, "b-count", "131072")
    status = _click_and_wait(browser, "compare-run", "compare-status", "comparison")
    assert "done" in status, _text(browser, "compare-error")
    table = browser.find_element(By.ID, "compare-table")
    head = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert "65,536 x gb200" in head[2] and "131,072 x h100-sxm" in head[3], head
    cells = {tr.find_elements(By.TAG_NAME, "td")[0].text: [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
             for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")}
    gpus = cells["GPUs in the cluster"]
    assert gpus[2:4] == ["65,536", "131,072"]
    _full_screenshot(browser, "app_compare.png")
    browser.find_element(By.ID, "dl-compare-btn").click()
    csv = _downloaded(tmp_path, "comparison.csv").splitlines()
    assert csv[0] == "figure,label,unit,a,b,difference,change_pct"
    row = next(line for line in csv if line.startswith("gpus,"))
    assert row.split(",")[3:5] == ["65536.0", "131072.0"]
    # a bad B value is a message, and the comparison after it works
    _set(browser, "b-count", "-1")
    status = _click_and_wait(browser, "compare-run", "compare-status", "comparison")
    assert "not run" in status and "cluster.count" in _text(browser, "compare-error")
    _no_traceback(browser)
