"""Headless Chromium for the console's browser tests (scripts/e2e_console.py).

Chromium and chromedriver come from Debian's packages (`chromium`, `chromium-driver`); Selenium from PyPI
(scripts/requirements-ci.txt). Nothing is fetched at run time: Selenium Manager is bypassed by naming the driver.
"""

from __future__ import annotations

import json
import os
import shutil
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from e2e_lib import sluice


def wait_until(predicate, timeout: float, interval: float = 0.25) -> bool:
    """`sluice.wait_until` for predicates that read the page: an element the page replaced while it was read (a
    refresh, a navigation) counts as "not yet", and the next poll reads the new one."""

    def steady() -> bool:
        try:
            return bool(predicate())
        except StaleElementReferenceException:
            return False

    return sluice.wait_until(steady, timeout, interval)


def chromium_paths() -> tuple[str, str]:
    """The Chromium binary and its driver, or RuntimeError naming the Debian packages."""
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (os.path.exists(binary) and os.path.exists(driver)):
        raise RuntimeError("headless Chromium is missing: apt-get install chromium chromium-driver")
    return binary, driver


class Browser:
    """One headless Chromium window on the console, with screenshots and a check of its console messages."""

    def __init__(self, base_url: str, shots_dir: str, width: int = 1280, height: int = 900):
        binary, driver = chromium_paths()
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    f"--window-size={width},{height}", "--no-first-run", "--disable-extensions",
                    "--disable-background-networking", "--disable-component-update"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        self.driver.set_page_load_timeout(30)
        self.base_url = base_url
        self.shots_dir = shots_dir
        os.makedirs(shots_dir, exist_ok=True)
        self.console_messages: list[dict] = []

    def close(self) -> None:
        try:
            self.driver.quit()
        except Exception:
            pass

    # Navigation and waiting.

    def open(self, hash_path: str = "") -> None:
        """Loads /console/ (a fresh page) at `#hash_path`."""
        self.driver.get(f"{self.base_url}/console/{'#' + hash_path if hash_path else ''}")

    def go(self, hash_path: str) -> None:
        """Moves within the loaded console (a hash change, no reload)."""
        self.driver.execute_script("location.hash = arguments[0]", hash_path)

    def wait(self, condition, timeout: float = 10.0):
        """`condition` until it holds. An element the page replaced while `condition` read it (a list redrawn as it
        loads) is "not yet" and the next poll reads the new one: CI once failed a lookup after 0.5 s on exactly that."""
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)

    def find(self, css: str, timeout: float = 10.0):
        """The first element matching `css` once it is visible."""
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout)

    def find_all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def by_label(self, label: str, timeout: float = 10.0):
        """The control whose <label> reads `label` exactly (the way a person finds it)."""
        def lookup(driver):
            for el in driver.find_elements(By.TAG_NAME, "label"):
                if el.text.strip().rstrip("*").strip() == label and el.get_attribute("for"):
                    found = driver.find_elements(By.ID, el.get_attribute("for"))
                    if found and found[0].is_displayed():
                        return found[0]
            return False
        return self.wait(lookup, timeout)

    def button(self, text: str, timeout: float = 10.0):
        """The visible, enabled button (or link) whose text is `text`."""
        def lookup(driver):
            for el in driver.find_elements(By.CSS_SELECTOR, "button, a"):
                if el.is_displayed() and el.text.strip() == text and el.is_enabled():
                    return el
            return False
        return self.wait(lookup, timeout)

    def has_button(self, text: str) -> bool:
        return any(el.is_displayed() and el.text.strip() == text for el in self.find_all("button"))

    def text_appears(self, text: str, css: str = "main", timeout: float = 10.0) -> bool:
        try:
            self.wait(lambda d: text in d.find_element(By.CSS_SELECTOR, css).text, timeout)
            return True
        except TimeoutException:
            return False

    def sign_in(self, token: str) -> None:
        self.open()
        field = self.by_label("Token")
        field.clear()
        field.send_keys(token)
        self.button("Sign in").click()
        self.find("#nav:not([hidden])")

    # Evidence.

    def shot(self, name: str) -> str:
        """Saves a screenshot of the whole page as `<shots_dir>/<name>.png`."""
        path = os.path.join(self.shots_dir, f"{name}.png")
        height = self.driver.execute_script("return Math.max(document.body.scrollHeight, 600)")
        width = self.driver.get_window_size()["width"]
        self.driver.set_window_size(width, min(int(height) + 120, 4000))
        time.sleep(0.1)
        self.driver.save_screenshot(path)
        return path

    def resize(self, width: int, height: int = 900) -> None:
        self.driver.set_window_size(width, height)

    def errors(self) -> list[str]:
        """Console errors and warnings logged since the last call (an expected failed request is the caller's to drop)."""
        for entry in self.driver.get_log("browser"):
            self.console_messages.append(entry)
        found = [m["message"] for m in self.console_messages if m.get("level") in ("SEVERE", "WARNING")]
        self.console_messages.clear()
        return found

    def session_storage(self) -> dict:
        return json.loads(self.driver.execute_script("return JSON.stringify(Object.assign({}, sessionStorage))"))
