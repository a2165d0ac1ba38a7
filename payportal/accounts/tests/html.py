"""Read what a page shows next to a form field (tests only)."""

import html
import re


def field_errors(response, name: str) -> list[str]:
    """The messages shown under the input ``name`` (by its auto id)."""
    content = response.content.decode()
    match = re.search(
        rf'<ul class="errors" id="id_{re.escape(name)}_error">(.*?)</ul>',
        content,
        re.S,
    )
    if match is None:
        return []
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match[1])]


def input_value(response, name: str) -> str | None:
    """The value attribute of the input ``name``, None when it has none."""
    content = response.content.decode()
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', content)
    assert tag is not None, f"no input named {name}"
    value = re.search(r'value="([^"]*)"', tag[0])
    return html.unescape(value[1]) if value else None


def text(response) -> str:
    """The page's HTML with entities decoded, for plain-text assertions."""
    return html.unescape(response.content.decode())
