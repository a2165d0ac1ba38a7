"""The filter widgets write in Python what Django's templates write."""

import pytest
from django import forms

from payportal.payments.forms import widgets

ATTRS = {
    "id": "id_name",
    "aria-describedby": "errors-name",
    "aria-invalid": "true",
    "placeholder": 'say "hi" <b>',
    "required": True,
    "disabled": False,
    "size": 6,
}
CHOICES = [
    ("", "All"),
    ("a", "A & B"),
    ("Group <1>", [("g1", "G1"), ("g2", "G2")]),
]


@pytest.mark.parametrize(
    "widget",
    [
        widgets.SearchInput(),
        widgets.DateInput(),
        widgets.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        widgets.Select(choices=CHOICES),
    ],
    ids=["search", "date", "text", "select"],
)
@pytest.mark.parametrize("value", [None, "", "a", "g2", 'x"<y>&'])
@pytest.mark.parametrize("attrs", [None, ATTRS], ids=["no-attrs", "attrs"])
def test_filter_widget_writes_what_its_django_template_writes(widget, value, attrs):
    # Widget.render is the template path (the widgets replace it, not
    # _render): the same widget, the same context, drawn both ways.
    expected = forms.Widget.render(widget, "name", value, attrs)

    assert widget.render("name", value, attrs) == expected
