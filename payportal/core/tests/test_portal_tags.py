"""The helpers list views use in place of template filters and tags give
what the filters and tags give."""

from datetime import UTC, date, datetime

from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from payportal.core.templatetags.portal import (
    escaped_row,
    short_date,
    short_datetime,
    url_for_ids,
)

MOMENTS = [
    datetime(2026, month, day, hour, minute, tzinfo=UTC)
    for month in range(1, 13)
    for day, hour, minute in ((1, 0, 0), (9, 9, 5), (28, 23, 59))
] + [datetime(5, 3, 4, 1, 2, tzinfo=UTC), datetime(9999, 12, 31, 12, 0, tzinfo=UTC)]


def test_url_for_ids_gives_what_reverse_gives():
    payment_url = url_for_ids("payments:payment_detail")
    user_url = url_for_ids("accounts:user_detail")

    for pk in (1, 9, 918273645, 2**62):
        assert payment_url(pk) == reverse("payments:payment_detail", args=[pk])
        assert user_url(pk) == reverse("accounts:user_detail", args=[pk])


def test_short_date_and_time_give_what_the_date_filter_gives():
    for moment in MOMENTS:
        assert short_datetime(moment) == date_filter(moment, "j M Y, H:i")
        assert short_date(moment) == date_filter(moment, "j M Y")
        assert short_date(moment.date()) == date_filter(moment.date(), "j M Y")


def test_short_date_of_a_plain_date():
    assert short_date(date(2026, 11, 1)) == "1 Nov 2026"


def test_escaped_row_escapes_texts_once_as_autoescape_would():
    markup = format_html("<b>{}</b>", "a & b")

    row = escaped_row(
        text="<script>\"x\" & 'y'</script>",
        markup=markup,
        empty="",
        count=3,
        missing=None,
        flag=True,
    )

    assert row == {
        "text": conditional_escape("<script>\"x\" & 'y'</script>"),
        "markup": "<b>a &amp; b</b>",
        "empty": "",
        "count": 3,
        "missing": None,
        "flag": True,
    }
    assert isinstance(row["text"], SafeString)
    assert isinstance(row["empty"], SafeString)
    assert row["markup"] is markup
