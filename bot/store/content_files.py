"""Reading content/ into typed records, collecting every problem with file and line.

Nothing here touches the database: `sync` writes what this returns only when it
returned no errors.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.store import yaml_lines
from bot.store.yaml_lines import LineDict

MAX_FILE_BYTES = 1_000_000
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.yml$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SENSITIVITIES = ("green", "yellow", "red")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{self.severity}: {where}: {self.field}: {self.message}"


@dataclass(frozen=True)
class AnswerRecord:
    language: str
    title: str
    text: str
    revision: int | None
    translated_from_revision: int | None
    machine_translated: bool
    reviewed_by: str | None
    line: int


@dataclass(frozen=True)
class TopicRecord:
    id: str
    domain: str
    sensitivity: str
    source_language: str
    verified_on: date
    sources: tuple[str, ...]
    related: tuple[str, ...]
    answers: tuple[AnswerRecord, ...]
    file: str
    folder_domain: str
    line_of: dict[str, int] = field(compare=False, hash=False)


@dataclass(frozen=True)
class ServiceRecord:
    id: str
    province: str
    name: str
    organisation: str | None
    municipality: str | None
    address: str | None
    coordinates: tuple[float, float] | None
    phones: tuple[str, ...]
    email: str | None
    web: str | None
    hours: Any
    appointment_only: bool
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    free: bool
    anonymous: bool
    no_documents_needed: bool
    verified_on: date
    source: str
    file: str
    line_of: dict[str, int] = field(compare=False, hash=False)


@dataclass(frozen=True)
class HotlineRecord:
    id: str
    number: str
    free: bool
    anonymous: bool
    always_open: bool
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    priority: int
    names: dict[str, str]
    verified_on: date
    source: str
    file: str
    line_of: dict[str, int] = field(compare=False, hash=False)


@dataclass
class ContentBundle:
    topics: list[TopicRecord] = field(default_factory=list)
    services: list[ServiceRecord] = field(default_factory=list)
    hotlines: list[HotlineRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    checksum: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class _Fields:
    """Typed access to one YAML mapping that records a Problem for each bad field."""

    def __init__(self, data: LineDict, file: str, problems: list[Problem], prefix: str = ""):
        self.data, self.file, self.problems, self.prefix = data, file, problems, prefix

    def problem(self, key: str, message: str, severity: Literal["error", "warning"] = "error") -> None:
        line = self.data.line_of(key) if isinstance(self.data, LineDict) else None
        self.problems.append(Problem(self.file, line, self.prefix + key, message, severity))

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(key, "required field is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(key, "must be text")
            return None
        text = str(value).strip()
        if required and not text:
            self.problem(key, "must not be empty")
            return None
        return text or None

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.problem(key, "must be true or false")
            return False
        return value

    def number(self, key: str, *, required: bool = False) -> int | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(key, "required field is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, "must be a whole number")
            return None
        return value

    def day(self, key: str) -> date | None:
        value = self.data.get(key)
        if value is None:
            self.problem(key, "required field is missing (a date, YYYY-MM-DD)")
            return None
        if isinstance(value, date):
            return value
        self.problem(key, "must be a date, YYYY-MM-DD")
        return None

    def word_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(key, "must be a list of words")
            return ()
        return tuple(v.strip() for v in value)


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> Any:
    """The parsed file, or None after recording why it could not be read."""
    if path.is_symlink() or not SAFE_NAME.match(path.name):
        problems.append(
            Problem(
                rel,
                None,
                "file",
                "file name must be lowercase letters, digits, - or _ and end in .yml",
            )
        )
        return None
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        problems.append(
            Problem(rel, None, "file", f"file is {size} bytes; at most {MAX_FILE_BYTES} are read")
        )
        return None
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(rel, None, "file", f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return None
    try:
        return yaml_lines.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(rel, line, "yaml", f"not valid YAML: {reason}"))
        return None


def _read_answers(fields: _Fields) -> tuple[AnswerRecord, ...]:
    raw = fields.data.get("answers")
    if not isinstance(raw, LineDict) or not raw:
        fields.problem("answers", "must map language codes to answers")
        return ()
    answers = []
    for language, body in raw.items():
        prefix = f"answers.{language}."
        if not isinstance(body, LineDict):
            fields.problems.append(
                Problem(
                    fields.file,
                    raw.line_of(language),
                    prefix[:-1],
                    "must be a mapping with title and answer",
                )
            )
            continue
        f = _Fields(body, fields.file, fields.problems, prefix)
        title, text = f.text("title"), f.text("answer")
        if title is None or text is None:
            continue
        answers.append(
            AnswerRecord(
                language=language,
                title=title,
                text=text,
                revision=f.number("revision"),
                translated_from_revision=f.number("translated_from_revision"),
                machine_translated=f.flag("machine_translated"),
                reviewed_by=f.text("reviewed_by", required=False),
                line=raw.line_of(language),
            )
        )
    return tuple(answers)


def _read_topic(data: Any, rel: str, folder_domain: str, problems: list[Problem]) -> TopicRecord | None:
    if not isinstance(data, LineDict):
        problems.append(Problem(rel, None, "file", "must be a mapping (id, domain, answers, …)"))
        return None
    f = _Fields(data, rel, problems)
    before = len(problems)
    topic_id, domain = f.text("id"), f.text("domain")
    sensitivity, source_language = f.text("sensitivity"), f.text("source_language")
    verified_on = f.day("verified_on")
    if sensitivity is not None and sensitivity not in SENSITIVITIES:
        f.problem("sensitivity", f"must be one of {', '.join(SENSITIVITIES)}")
    answers = _read_answers(f)
    sources, related = f.word_list("sources"), f.word_list("related")
    if len(problems) > before or None in (
        topic_id,
        domain,
        sensitivity,
        source_language,
        verified_on,
    ):
        return None
    assert topic_id and domain and sensitivity and source_language and verified_on
    return TopicRecord(
        topic_id, domain, sensitivity, source_language, verified_on, sources, related,
        answers, rel, folder_domain, dict(data.key_lines),
    )  # fmt: skip


def _coordinates(f: _Fields) -> tuple[float, float] | None:
    value = f.data.get("coordinates")
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return float(value[0]), float(value[1])
    f.problem("coordinates", "must be [latitude, longitude]")
    return None


def _hours(f: _Fields) -> Any:
    value = f.data.get("hours")
    if value is None or value == "always":
        return value
    if not isinstance(value, list):
        f.problem("hours", "must be `always` or a list of {days, open, close}")
        return None
    slots = []
    for slot in value:
        ok = (
            isinstance(slot, dict)
            and isinstance(slot.get("days"), list)
            and all(d in DAYS for d in slot["days"])
            and all(
                isinstance(slot.get(k), str) and re.fullmatch(r"([01]\d|2[0-4]):[0-5]\d", slot[k])
                for k in ("open", "close")
            )
        )
        if not ok:
            f.problem("hours", 'each entry needs days (mon…sun), open and close as "HH:MM"')
            return None
        slots.append({"days": list(slot["days"]), "open": slot["open"], "close": slot["close"]})
    return slots


def _read_service(data: Any, rel: str, province: str, problems: list[Problem]) -> ServiceRecord | None:
    if not isinstance(data, LineDict):
        problems.append(
            Problem(rel, getattr(data, "line", None), "services", "each service must be a mapping")
        )
        return None
    f = _Fields(data, rel, problems, prefix=f"services[{data.get('id', '?')}].")
    before = len(problems)
    service_id, name, source = f.text("id"), f.text("name"), f.text("source")
    verified_on = f.day("verified_on")
    conditions = data.get("conditions") or LineDict()
    if not isinstance(conditions, LineDict):
        f.problem("conditions", "must be a mapping like {free: true}")
        conditions = LineDict()
    c = _Fields(conditions, rel, problems, prefix=f.prefix + "conditions.")
    record_args = dict(
        organisation=f.text("organisation", required=False),
        municipality=f.text("municipality", required=False),
        address=f.text("address", required=False),
        coordinates=_coordinates(f),
        phones=f.word_list("phone"),
        email=f.text("email", required=False),
        web=f.text("web", required=False),
        hours=_hours(f),
        appointment_only=f.flag("appointment_only"),
        languages=f.word_list("languages"),
        topics=f.word_list("topics"),
        free=c.flag("free"),
        anonymous=c.flag("anonymous"),
        no_documents_needed=c.flag("no_documents_needed"),
    )
    if len(problems) > before or None in (service_id, name, source, verified_on):
        return None
    assert service_id and name and source and verified_on
    return ServiceRecord(
        id=service_id, province=province, name=name, verified_on=verified_on, source=source,
        file=rel, line_of={k: data.line_of(k) for k in data} | {"": data.line}, **record_args,
    )  # fmt: skip


def _read_hotline(data: Any, rel: str, problems: list[Problem]) -> HotlineRecord | None:
    if not isinstance(data, LineDict):
        problems.append(Problem(rel, None, "hotlines", "each hotline must be a mapping"))
        return None
    f = _Fields(data, rel, problems, prefix=f"hotlines[{data.get('id', '?')}].")
    before = len(problems)
    hotline_id, number, source = f.text("id"), f.text("number"), f.text("source")
    verified_on = f.day("verified_on")
    names = data.get("names")
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        f.problem("names", "must map language codes to names")
        names = {}
    hours = data.get("hours")
    priority = f.number("priority")
    record_args = dict(
        free=f.flag("free"), anonymous=f.flag("anonymous"), always_open=hours == "always",
        languages=f.word_list("languages"), topics=f.word_list("topics"),
        priority=100 if priority is None else priority, names=dict(names),
    )  # fmt: skip
    if len(problems) > before or None in (hotline_id, number, source, verified_on):
        return None
    assert hotline_id and number and source and verified_on
    return HotlineRecord(
        id=hotline_id, number=number, verified_on=verified_on, source=source, file=rel,
        line_of={k: data.line_of(k) for k in data} | {"": data.line}, **record_args,  # type: ignore[arg-type]
    )  # fmt: skip


def read_content(content_dir: Path) -> ContentBundle:
    """Every topic, service and hotline under content_dir, with the problems met."""
    bundle = ContentBundle()
    digest = hashlib.sha256()
    problems = bundle.problems

    def read(path: Path) -> Any:
        rel = str(path.relative_to(content_dir.parent))
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_FILE_BYTES:
            digest.update(rel.encode() + b"\0" + path.read_bytes())
        return _read_yaml(path, rel, problems), rel

    topics_dir = content_dir / "topics"
    for path in sorted(topics_dir.glob("*/*")):
        data, rel = read(path)
        if data is not None:
            topic = _read_topic(data, rel, path.parent.name, problems)
            if topic is not None:
                bundle.topics.append(topic)

    for path in sorted((content_dir / "services").glob("*")):
        data, rel = read(path)
        if data is None:
            continue
        if not isinstance(data, LineDict) or not isinstance(data.get("services"), list):
            problems.append(Problem(rel, None, "services", "must have `province:` and a `services:` list"))
            continue
        province = data.get("province")
        if province != path.stem:
            problems.append(
                Problem(
                    rel,
                    data.line_of("province"),
                    "province",
                    f"must be {path.stem!r}, like the file name",
                )
            )
        for item in data["services"]:
            service = _read_service(item, rel, path.stem, problems)
            if service is not None:
                bundle.services.append(service)

    hotlines_path = content_dir / "hotlines.yml"
    data, rel = read(hotlines_path) if hotlines_path.exists() else (None, "content/hotlines.yml")
    if isinstance(data, LineDict) and isinstance(data.get("hotlines"), list):
        for item in data["hotlines"]:
            hotline = _read_hotline(item, rel, problems)
            if hotline is not None:
                bundle.hotlines.append(hotline)
    elif data is not None or not hotlines_path.exists():
        problems.append(Problem(rel, None, "hotlines", "must have a `hotlines:` list"))

    bundle.checksum = digest.hexdigest()
    return bundle
