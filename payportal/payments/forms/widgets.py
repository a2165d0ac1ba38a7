"""Widgets that write their markup in Python instead of through templates.

The Transactions filters are drawn on every request of the busiest page.
Through Django's widget templates each input costs a template lookup, a
context and an include for its attributes, and a select one more include
per option: the eight filters took about as long as the 50 rows of the
list. These widgets write what django/forms/widgets/input.html, attrs.html,
select.html and select_option.html write, character for character; a test
renders each both ways and compares.
"""

from typing import Any

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> str:
    # attrs.html: in their order; False leaves one out, True is a bare name.
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class _InputMarkup:
    """input.html, with the renderer's strip() of the trailing newline."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer=None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        html = (
            f'<input type="{conditional_escape(widget["type"])}"'
            f' name="{conditional_escape(widget["name"])}"'
        )
        if widget["value"] is not None:
            html += f' value="{conditional_escape(str(widget["value"]))}"'
        return mark_safe(html + _attrs(widget["attrs"]) + ">")  # noqa: S308 - escaped above


class TextInput(_InputMarkup, forms.TextInput):
    pass


class SearchInput(_InputMarkup, forms.TextInput):
    input_type = "search"


class DateInput(_InputMarkup, forms.DateInput):
    input_type = "date"


class Select(forms.Select):
    """select.html and select_option.html (no option inherits attrs)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer=None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [
            f'<select name="{conditional_escape(widget["name"])}"'
            f"{_attrs(widget['attrs'])}>"
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                    f"{_attrs(option['attrs'])}>"
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - escaped above
