"""The Jinja2 fragments (cme_portal/fragments.py): escaped like the Django templates, strict about names."""

import jinja2
import pytest
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

from cme_portal.fragments import render_fragment
from supervision import presenters

HOSTILE = "<script>alert('x')</script> & \"quoted\""


def _render(source: str, **context: object) -> str:
    return engines["jinja2"].from_string(source).render(context)


def test_every_value_is_escaped_unless_it_is_already_markup() -> None:
    assert _render("{{ text }}", text=HOSTILE) == (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34;"
    )
    assert _render("{{ markup }}", markup=mark_safe("<b>kept</b>")) == "<b>kept</b>"


def test_an_unknown_name_or_attribute_is_an_error_not_an_empty_cell() -> None:
    with pytest.raises(jinja2.UndefinedError):
        _render("{{ missing }}")
    with pytest.raises(jinja2.UndefinedError):
        _render("{{ line.missing }}", line=presenters.PendingLine(1, "A", "B", False, "", "", False, "/", "/"))


def test_a_fragment_is_safe_markup_for_the_django_template_that_writes_it() -> None:
    context = {"lines": [], "professions_url": "/", "dashboard_here": "/", "refused": HOSTILE}
    html = render_fragment("supervision/_member_rows.html", context)
    assert isinstance(html, SafeString)
    assert engines["django"].from_string("{{ rows }}").render({"rows": html}) == html
    assert "<strong data-refused>&lt;script&gt;" in html


def test_the_fragments_live_apart_from_the_django_templates() -> None:
    # A name is found by one engine only, so a page can never be parsed by the wrong one.
    with pytest.raises(jinja2.TemplateNotFound):
        engines["jinja2"].env.get_template("base.html")
