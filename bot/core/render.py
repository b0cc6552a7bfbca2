"""Turning content into the HTML messages Telegram shows (the shell strips the tags)."""

from __future__ import annotations

import html
import re
from urllib.parse import quote_plus, urlsplit

from babel.dates import get_day_names

from bot.core.labels import N_
from bot.core.model import Reply
from bot.i18n import Words, babel_locale, language_name
from bot.store.lookup import TopicAnswer
from bot.store.models import Hotline, Service

MAX_MESSAGE = 4096
MAX_SERVICES = 3
_ALLOWED = re.compile(r"&lt;(/?)(b|i)&gt;")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def content_html(text: str) -> str:
    """Escape an editor's answer, letting only <b> and <i> through."""
    return _ALLOWED.sub(r"<\1\2>", escape(text.strip()))


def hotline_line(hotline: Hotline, words: Words) -> str:
    name = hotline.names.get(words.language) or hotline.names.get("en") or ""
    marks = [
        words(key)
        for key, on in (
            (N_("card.free"), hotline.free),
            (N_("card.anonymous"), hotline.anonymous),
            (N_("card.always_open"), hotline.always_open),
        )
        if on
    ]
    details = f" ({', '.join(marks)})" if marks else ""
    return f"☎️ <b>{words.isolate(escape(hotline.number))}</b> {escape(name)}{escape(details)}"


def _hours(service: Service, words: Words) -> str | None:
    if service.hours == "always":
        return words("card.always_open")
    if not service.hours:
        return words("card.by_appointment") if service.appointment_only else None
    names = get_day_names("abbreviated", locale=babel_locale(words.language))
    parts = []
    for slot in service.hours:
        days = ", ".join(names[_DAYS.index(d)] for d in slot["days"])
        parts.append(f"{days} {words.isolate(slot['open'] + '–' + slot['close'])}")
    text = "; ".join(parts)
    by_appointment = words("card.by_appointment")
    return f"{text} ({by_appointment})" if service.appointment_only else text


def service_card(service: Service, words: Words, *, distance_km: float | None = None) -> str:
    lines = [f"🏢 <b>{escape(service.name)}</b>"]
    if service.address:
        query = quote_plus(f"{service.address}, {service.municipality or ''}")
        map_label = escape(words("card.map"))
        link = f'<a href="https://www.openstreetmap.org/search?query={query}">{map_label}</a>'
        distance = f" · {words.isolate(f'{distance_km:.1f} km')}" if distance_km is not None else ""
        lines.append(f"📍 {words.isolate(escape(service.address))} · {link}{distance}")
    for phone in service.phones:
        lines.append(f"📞 {words.isolate(escape(phone))}")
    if service.email:
        lines.append(f"✉️ {words.isolate(escape(service.email))}")
    if service.web:
        lines.append(f'🌐 <a href="{escape(service.web)}">{escape(urlsplit(service.web).netloc)}</a>')
    hours = _hours(service, words)
    if hours:
        lines.append(f"🕒 {escape(hours)}")
    if service.languages:
        lines.append(f"🗣 {escape(', '.join(language_name(code) for code in service.languages))}")
    conditions = [
        words(key)
        for key, on in (
            (N_("card.free"), service.free),
            (N_("card.no_documents"), service.no_documents_needed),
            (N_("card.anonymous"), service.anonymous),
        )
        if on
    ]
    if conditions:
        lines.append("✅ " + escape(" · ".join(conditions)))
    return "\n".join(lines)


def answer_text(answer: TopicAnswer, words: Words, *, safety: bool) -> str:
    """The answer card: hotlines first when safety matters, then text, services, sources."""
    hotlines = [hotline_line(h, words) for h in answer.hotlines]
    blocks: list[str] = []
    if safety and hotlines:
        blocks.append("\n".join(hotlines))
    if answer.fell_back:
        blocks.append(
            "<i>"
            + escape(words("answer.fallback_language", language=language_name(answer.language)))
            + "</i>"
        )
    blocks.append(f"<b>{content_html(answer.title)}</b>\n{content_html(answer.text)}")
    if answer.machine_translated:
        blocks.append("<i>" + escape(words("answer.machine_translated")) + "</i>")
    if not safety and hotlines:
        blocks.append("\n".join(hotlines))
    blocks += [service_card(s, words) for s in answer.services[:MAX_SERVICES]]
    sources = ", ".join(
        f'<a href="{escape(url)}">{escape(urlsplit(url).netloc)}</a>' for url in answer.sources[:3]
    )
    footer = escape(words("answer.verified_on", date=words.date(answer.verified_on)))
    sources_label = escape(words("answer.sources"))
    blocks.append(f"<i>{footer}</i>" + (f"\n{sources_label} {sources}" if sources else ""))
    text = "\n\n".join(blocks)
    while len(text) > MAX_MESSAGE and len(blocks) > 2:
        blocks.pop(-2)  # drop the last service card before the footer
        text = "\n\n".join(blocks)
    return text[:MAX_MESSAGE]


def plain_text(reply: Reply) -> str:
    """A reply as terminal text: tags dropped, entities unescaped, buttons numbered."""
    text = html.unescape(re.sub(r"<[^>]+>", "", reply.text))
    buttons = [b for row in reply.buttons for b in row]
    lines = [text] + [f"  [{i}] {b.label}" for i, b in enumerate(buttons, 1)]
    return "\n".join(lines)
