"""Driving a page with the keyboard only: Tab until the wanted control has the focus, then type.

`tab_to` fails when the control is never reached (not focusable, hidden from the tab order, or
trapped behind something), which is what a keyboard user would run into.
"""

from __future__ import annotations

from playwright.sync_api import Page

FOCUSED_JS = """(spec) => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  if (spec.selector) return el.matches(spec.selector);
  const byTag = {A: 'link', BUTTON: 'button', SELECT: 'combobox', TEXTAREA: 'textbox', SUMMARY: 'button'};
  const byType = {checkbox: 'checkbox', radio: 'radio', submit: 'button', button: 'button'};
  const role = el.getAttribute('role') || byTag[el.tagName]
    || (el.tagName === 'INPUT' ? byType[el.type] || 'textbox' : '');
  if (role !== spec.role) return false;
  const labels = el.labels ? Array.from(el.labels).map(l => l.textContent) : [];
  const name = [el.getAttribute('aria-label'), ...labels, el.textContent, el.value].filter(Boolean)
    .map(s => s.replace(/\\s+/g, ' ').trim());
  return name.some(n => n === spec.name || n.startsWith(spec.name));
}"""


class Keyboard:
    def __init__(self, page: Page, max_tabs: int = 80) -> None:
        self.page = page
        self.max_tabs = max_tabs

    def tab_to(self, role: str = "", name: str = "", *, selector: str = "") -> None:
        spec = {"role": role, "name": name, "selector": selector}
        for _ in range(self.max_tabs):
            self.page.keyboard.press("Tab")
            if self.page.evaluate(FOCUSED_JS, spec):
                return
        raise AssertionError(f"Tab never reached {selector or role + ' ' + repr(name)} on {self.page.url}")

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
