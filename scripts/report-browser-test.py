#!/usr/bin/env python3
"""Opens a kubereach HTML report in Debian's headless Chromium (chromium-driver, selenium) and checks
that it loads without script errors, shows the graph, and that the search box filters the table.

Usage: report-browser-test.py REPORT.html --search TEXT --expect-rows N [--screenshot PNG] [--xss]
With --xss it also checks that no script from the input ran (window.__pwned stays unset, no alert).
Prints one line per check; exit 0 when all pass."""
import argparse, pathlib, sys
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

parser = argparse.ArgumentParser()
parser.add_argument("report")
parser.add_argument("--search", required=True)
parser.add_argument("--expect-rows", type=int, required=True)
parser.add_argument("--screenshot")
parser.add_argument("--xss", action="store_true")
args = parser.parse_args()

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
failures = []

def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (": " + detail if detail and not ok else ""))
    if not ok:
        failures.append(name)

try:
    driver.get(pathlib.Path(args.report).resolve().as_uri())
    check("page title", driver.title == "kubereach report", driver.title)
    try:
        alert = driver.switch_to.alert
        check("no alert opened", False, alert.text)
        alert.dismiss()
    except NoAlertPresentException:
        check("no alert opened", True)
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    check("no script errors", not errors, "; ".join(e["message"] for e in errors))
    svg = driver.find_element(By.CSS_SELECTOR, "#graph svg")
    size = svg.size
    check("graph shown", svg.is_displayed() and size["width"] > 50 and size["height"] > 50, str(size))
    nodes = driver.find_elements(By.CSS_SELECTOR, "#graph svg g.node")
    check("graph has nodes", len(nodes) > 0, str(len(nodes)))
    rows = driver.find_elements(By.CSS_SELECTOR, "#connection-table tbody tr")
    total = len(rows)
    box = driver.find_element(By.ID, "search")
    box.send_keys(args.search)
    visible = [r for r in rows if r.is_displayed()]
    check("search filters the table", len(visible) == args.expect_rows and total > len(visible),
          f"{len(visible)} visible of {total}, expected {args.expect_rows}")
    check("every visible row matches", all(args.search.lower() in r.text.lower() for r in visible))
    counter = driver.find_element(By.ID, "shown-count").text
    check("counter follows the filter", counter == str(args.expect_rows), counter)
    box.clear()
    box.send_keys(" ")
    box.send_keys("\b")
    header = driver.find_element(By.CSS_SELECTOR, "#connection-table th:nth-child(2)")
    header.click()
    ordered = driver.execute_script("""
        var cells = Array.prototype.map.call(
          document.querySelectorAll('#connection-table tbody tr td:nth-child(2)'), function (c) { return c.textContent; });
        for (var i = 1; i < cells.length; i++) {
          if (cells[i - 1].localeCompare(cells[i], undefined, { numeric: true }) > 0) { return false; }
        }
        return cells.length > 1;""")
    check("sorting by destination", ordered and header.get_attribute("aria-sort") == "ascending")
    if args.xss:
        pwned = driver.execute_script("return window.__pwned === undefined ? null : String(window.__pwned);")
        check("no script from the input ran", pwned is None, str(pwned))
        injected = driver.execute_script(
            "return document.querySelectorAll('img, iframe, object, embed, script:not(:last-of-type)').length;")
        check("no element from the input", injected == 0, str(injected))
    if args.screenshot:
        driver.execute_script("window.scrollTo(0, 0);")
        box.clear()
        driver.save_screenshot(args.screenshot)
        print("screenshot " + args.screenshot)
finally:
    driver.quit()
sys.exit(1 if failures else 0)
