"""Confirmation dialogs: a confirm clicked while the dialog is still opening is not lost."""
from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.xdist_group("browser")


def test_a_confirm_clicked_while_the_dialog_fades_in_still_submits(ready_server, open_browser):
    page, _ = open_browser(ready_server)
    sign_in(page)
    page.goto("/analyzer")
    # a slow fade-in, so the dialog is certainly still opening at the click
    page.evaluate("document.getElementById('confirm-modal').style.setProperty('transition-duration', '1.5s')")
    page.evaluate("document.querySelector('#confirm-modal .modal-dialog').style.setProperty('transition-duration', '1.5s')")
    page.click("#analyzer-toggle")
    page.wait_for_selector("#confirm-yes", state="visible")
    assert page.evaluate("!document.getElementById('confirm-modal').classList.contains('show')") or \
        page.evaluate("getComputedStyle(document.getElementById('confirm-modal')).opacity") != "1"
    page.click("#confirm-yes", force=True)   # no waiting for the dialog to settle, as a quick user would
    page.wait_for_selector("#analyzer-band")
    page.click("#analyzer-toggle")
    page.click("#confirm-yes")
    page.wait_for_selector("#analyzer-mode:text('Live')")
