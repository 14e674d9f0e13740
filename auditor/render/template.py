"""Template-shaped formats: a jinja2 template in templates/ plus one registry line."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from auditor import escape
from auditor.model import Scan
from auditor.render import Renderer

if TYPE_CHECKING:
    from markupsafe import Markup


def markdown_escape(text: object) -> str:
    """Package metadata is attacker-controlled: neutralise Markdown and HTML in it (the
    one Markdown helper, `auditor.escape.markdown`)."""
    return escape.markdown(text)


def script_json(value: object) -> Markup:
    """JSON for a `<script type="application/json">` body: `<`, `>` and `&` become `\\u003c`
    and so on, so no metadata can close the script element or open a comment in it."""
    import json

    from markupsafe import Markup

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(ch, escaped)
    # Line and paragraph separators are valid JSON but end lines in some readers.
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control_picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else ("\u2421" if code == 0x7F else "\ufffd")


def visible_controls(value: object) -> object:
    """jinja2 `finalize` for HTML: control characters in output (terminal escapes, NUL)
    become visible symbols (ESC -> U+241B), so what a page shows is what the data holds."""
    if isinstance(value, str) and not hasattr(value, "__html__") and _CONTROL.search(value):
        return _CONTROL.sub(_control_picture, value)
    return value


_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\u200b-\u200f]")


def safe_url(value: object) -> str | None:
    """`value` when it is an absolute http(s) URL a link may point at, else None.

    Metadata URLs are attacker-controlled: `javascript:`, `data:` and friends, and anything
    with whitespace or control characters (browsers strip those to find a scheme), never
    become links; the caller shows them as text.
    """
    from urllib.parse import urlsplit

    text = str(value)
    if not text or _URL_UNSAFE.search(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def link_short(value: object) -> Markup:
    """`link`, its text abbreviated (scheme dropped, middle cut); the href is the full URL
    (a browser shows it on hover)."""
    from markupsafe import Markup, escape

    from auditor.render.html_view import abbreviate

    full = str(visible_controls(value))
    if safe_url(value) is None:
        return escape(full)
    shown = abbreviate(full.partition("://")[2] or full, 40)
    return Markup(
        f'<a href="{escape(full)}" rel="noopener noreferrer nofollow">{escape(shown)}</a>'
    )


def link(value: object) -> Markup:
    """`value` as escaped text, inside a link when it is a safe URL (`safe_url`)."""
    from markupsafe import Markup, escape

    text = escape(visible_controls(value))
    if safe_url(value) is None:
        return text
    return Markup('<a href="{0}" rel="noopener noreferrer nofollow">{0}</a>').format(text)


class TemplateRenderer(Renderer):
    """Renders `templates/<template>` with the scan and its JSON document."""

    name: ClassVar[str] = "template"

    def __init__(self, name: str, template: str) -> None:
        # `name` is per instance here: one class serves every template-shaped format.
        self.name = name  # type: ignore[misc]
        self.template = template

    def render(self, scan: Scan) -> str:
        """jinja2 with StrictUndefined; HTML templates autoescape."""
        import jinja2  # imported on use: ~70 ms that table and json output never pay

        from auditor.config import data_path

        env = jinja2.Environment(
            loader=jinja2.FunctionLoader(
                lambda name: (data_path("templates") / name).read_text(encoding="utf-8")
            ),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(["html", "html.j2"]),
            finalize=visible_controls if self.template.endswith(".html.j2") else None,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["md"] = markdown_escape
        env.filters["script_json"] = script_json
        env.filters["safe_url"] = safe_url
        env.filters["link"] = link
        if self.template.endswith(".html.j2"):
            from auditor.render.html_view import abbreviate, hop_name, short_purl

            env.filters["hop_name"] = hop_name
            env.filters["short_purl"] = short_purl
            env.filters["abbreviate"] = abbreviate
            env.filters["link_short"] = link_short
        return env.get_template(self.template).render(scan=scan, **self.context(scan))

    def context(self, scan: Scan) -> dict[str, Any]:
        """What the template reads besides the scan: the JSON document, and for the HTML
        audit its view. A format with a view of its own overrides this (the attestation)."""
        from auditor.render.json import scan_document

        extra: dict[str, Any] = {"doc": scan_document(scan)}
        if self.template.endswith(".html.j2"):
            from auditor.render.html_view import html_view

            extra["view"] = html_view(scan)
        return extra
