"""Every setting of the configuration model is read by the daemon: a knob that is validated, documented and
then ignored fails here. For each leaf field of `Config` (dotted path `section.….key`) some module of vssd/
outside vssd/config/ (and the simulators) must read it as `<section>.<key>` — through the section's own name
(`config.slots.wrapup_s`, a parameter `amqp: AmqpConfig` → `amqp.lead_ttl_s`) or a name bound from it
(`ami = self.config.ami` → `ami.port`, `cfg = writer or WriterConfig()` → `cfg.batch_rows`).

A few knobs are consumed inside vssd/config/ itself, each for a stated reason (CONSUMED_BY_CONFIG); a section
with its own query methods is read whole through them (READ_WHOLE). PENDING_APP_WIRING lists knobs whose
consumer takes them as a parameter while the services (vssd/services) do not pass them yet: each must have
its consumer, and must not be read anywhere else — once the daemon passes it, this test asks for its entry to
go, and from then on the knob is checked like any other."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from vssd.config.loader import SECRET_FILE_KEYS
from vssd.config.models import Config

ROOT = Path(__file__).resolve().parents[2]
VSSD = ROOT / "vssd"

CONSUMED_BY_CONFIG = {
    **{".".join(key): "the loader reads the file into its secret" for key in SECRET_FILE_KEYS.values()},
    "slots.allow_short_ring": "the ring_timeout_s validator: lets a ring timeout under 15 s through",
}
READ_WHOLE = {  # section → a read of it (its callers go through these methods, not its fields)
    "slots.numbering": r"\bnumbering\.block\(|\.slot_type_of\(",
}

PENDING_APP_WIRING: dict[str, tuple[str, str]] = {}  # knob → (consumer module, what takes it): none pending


def knobs(model: type[BaseModel] = Config, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        if ".".join(path) in READ_WHOLE:
            yield path
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from knobs(field.annotation, path)
        else:
            yield path


def sources() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in VSSD.rglob("*.py")
            if not {"config", "sim"} & set(p.relative_to(VSSD).parts[:-1])}


def _aliases(text: str, section: str) -> set[str]:
    """`section` itself and every name assigned from an expression naming it (`ami = self.config.ami`)."""
    names = {section}
    for lhs, rhs in re.findall(r"^\s*([\w\s,]+?)\s*=\s*(.+)$", text, flags=re.M):
        if re.search(rf"\b{section}\b", rhs):
            names.update(n.strip() for n in lhs.split(",") if n.strip().isidentifier())
    return names


def readers(path: tuple[str, ...], files: dict[str, str]) -> list[str]:
    dotted = ".".join(path)
    if dotted in READ_WHOLE:
        return [f for f, text in files.items() if re.search(READ_WHOLE[dotted], text)]
    *sections, key = path
    section = sections[-1] if sections else "config"
    found = []
    for file, text in files.items():
        names = _aliases(text, section) | ({"cfg", "config"} if not sections else set())
        alias = "|".join(sorted(map(re.escape, names)))
        if re.search(rf"(?<![\w.])(?:{alias})\.{key}\b|\.{section}\.{key}\b", text):
            found.append(file)
    return found


def unread() -> list[str]:
    files = sources()
    skip = CONSUMED_BY_CONFIG.keys() | PENDING_APP_WIRING.keys()
    return [".".join(p) for p in knobs() if ".".join(p) not in skip and not readers(p, files)]


def test_every_knob_is_read() -> None:
    assert unread() == [], "validated but never read: implement each, or remove it (model, config/vssd.toml, " \
                           "config/schema.json, docs/config.md)"


def test_the_exceptions_are_knobs() -> None:
    every = {".".join(p) for p in knobs()}
    assert set(CONSUMED_BY_CONFIG) <= every and set(READ_WHOLE) <= every and set(PENDING_APP_WIRING) <= every


def test_a_knob_waiting_for_the_daemon_has_its_consumer_and_no_other_reader() -> None:
    files = sources()
    for knob, (consumer, takes) in PENDING_APP_WIRING.items():
        assert re.search(takes, files[consumer]), f"{knob}: {consumer} no longer takes it ({takes})"
        others = [f for f in readers(tuple(knob.split(".")), files) if f != consumer]
        assert not others, f"{knob} is read now ({others}): drop it from PENDING_APP_WIRING"


def test_a_decorative_knob_is_caught() -> None:
    files = sources()
    assert readers(("slots", "wrapup_s"), files)
    files = {f: re.sub(r"\bwrapup_s\b", "w", t) for f, t in files.items()}
    assert not readers(("slots", "wrapup_s"), files)


if __name__ == "__main__":
    files = sources()
    for p in knobs():
        knob = ".".join(p)
        pending = knob in PENDING_APP_WIRING and f"PENDING: {PENDING_APP_WIRING[knob][0]} takes it, vssd/app.py to pass"
        print(knob, CONSUMED_BY_CONFIG.get(knob) or pending or readers(p, files) or "UNREAD")
