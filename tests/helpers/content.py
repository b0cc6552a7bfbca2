"""Building small content/ trees for tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.settings import PROJECT_ROOT

TOPIC = """\
id: health_stp_eni
domain: health
sensitivity: yellow
source_language: it
verified_on: 2026-11-01
sources: [https://example.org/stp]
related: [health_urgent_care]
answers:
  it:
    title: Cure senza documenti
    revision: 2
    answer: |
      Puoi avere il codice STP.
  en:
    title: Care without documents
    translated_from_revision: 2
    machine_translated: true
    reviewed_by: null
    answer: |
      You can get an STP code.
"""

SERVICES = """\
province: milano
services:
  - id: milano-clinic
    name: Test clinic
    municipality: Milano
    address: Via Test 1, Milano
    coordinates: [45.48, 9.20]
    phone: ["+39 02 1234567"]
    topics: [health_stp_eni]
    conditions: {free: true, no_documents_needed: true}
    verified_on: 2026-11-01
    source: https://example.org/clinic
"""

HOTLINES = """\
hotlines:
  - id: emergency
    number: "112"
    free: true
    hours: always
    topics: [emergency]
    priority: 1
    names: {en: Emergency, it: Emergenza}
    verified_on: 2026-11-01
    source: https://example.org/112
"""


def copy_content(tmp_path: Path) -> Path:
    """A copy of the real content/ (and nlu/ beside it) to break on purpose."""
    root = tmp_path / "repo"
    shutil.copytree(PROJECT_ROOT / "content", root / "content")
    shutil.copytree(PROJECT_ROOT / "nlu", root / "nlu")
    return root / "content"


def small_content(
    tmp_path: Path, *, topic: str = TOPIC, services: str = SERVICES, hotlines: str = HOTLINES
) -> Path:
    """A content/ with one topic, one service and one hotline."""
    content = tmp_path / "repo" / "content"
    (content / "topics" / "health").mkdir(parents=True)
    (content / "services").mkdir()
    shutil.copy(PROJECT_ROOT / "content" / "taxonomy.yml", content / "taxonomy.yml")
    (content / "topics" / "health" / "health_stp_eni.yml").write_text(topic)
    (content / "services" / "milano.yml").write_text(services)
    (content / "hotlines.yml").write_text(hotlines)
    return content
