"""The sequence diagram as mermaid text: the same `SequenceModel` the plotly figure draws.

Everything that comes from AWS (role names, image tags, finding titles) is escaped with mermaid's
entity codes, so a hostile name cannot end a statement (``;``, newline), open an entity (``#``),
inject HTML (``<``, ``>``, ``&``) or add a participant, note or directive.
"""

from __future__ import annotations

import re

from fargate_nb.model import Diagnosis, Snapshot
from fargate_nb.views.diagram import STATUS_MARKS, SequenceModel, clean, sequence_model

# Mermaid reads "#name;" / "#code;" as an entity; these are the characters that could carry syntax.
_ENTITIES = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;", "&": "#amp;", '"': "#quot;",
             "`": "#96;", "%": "#37;", "{": "#123;", "}": "#125;", "|": "#124;", "\\": "#92;"}
# Participant names end at ":", "," or an arrow, so those are escaped there too.
_LABEL_ENTITIES = {**_ENTITIES, ":": "#58;", ",": "#44;", "-": "#45;", "+": "#43;"}
_ESCAPE = re.compile("|".join(re.escape(c) for c in _ENTITIES))
_ESCAPE_LABEL = re.compile("|".join(re.escape(c) for c in _LABEL_ENTITIES))


def escape_mermaid(text: object, limit: int = 200, *, label: bool = False) -> str:
    """One line of mermaid-safe text (control characters dropped, syntax characters as entities).

    ``label=True`` is for participant names, where ``:``, ``,``, ``-`` and ``+`` are syntax too.
    """
    if label:
        return _ESCAPE_LABEL.sub(lambda m: _LABEL_ENTITIES[m.group(0)], clean(text, limit))
    return _ESCAPE.sub(lambda m: _ENTITIES[m.group(0)], clean(text, limit))


def _ids(model: SequenceModel) -> dict[str, str]:
    """Participant ids are generated (p0, p1...), never taken from AWS names."""
    return {lf.id: f"p{i}" for i, lf in enumerate(model.lifelines)}


def to_mermaid(source: SequenceModel | Snapshot, diagnosis: Diagnosis | None = None) -> str:
    """A mermaid ``sequenceDiagram``: ``to_mermaid(model)`` or ``to_mermaid(snapshot, diagnosis)``."""
    if isinstance(source, SequenceModel):
        model = source
    elif isinstance(source, Snapshot) and isinstance(diagnosis, Diagnosis):
        model = sequence_model(source, diagnosis)
    else:
        raise TypeError("to_mermaid takes a SequenceModel, or a Snapshot and its Diagnosis")
    ids = _ids(model)
    lines = ["sequenceDiagram"]
    if model.title:
        lines.append(f"    title {escape_mermaid(model.title, 120)}")
    for lf in model.lifelines:
        label = escape_mermaid(lf.label, 60, label=True)
        if lf.id == "sts" and lf.detail:
            label += f" {escape_mermaid(lf.detail, 60, label=True)}"
        lines.append(f"    participant {ids[lf.id]} as {label}")
    step = None
    for msg in model.messages:
        if msg.step != step:
            lines.append(f"    Note over {ids[model.lifelines[0].id]}: step {escape_mermaid(msg.step)}")
            step = msg.step
        arrow = "-x" if msg.status == "fail" else "->>"
        mark = STATUS_MARKS.get(msg.status, "?")
        lines.append(f"    {ids[msg.source]}{arrow}{ids[msg.target]}: {mark} {escape_mermaid(msg.label, 120)}"
                     f" ({escape_mermaid(msg.status)})")
        failure = msg.failure
        if msg.first_failure and failure is not None:
            over = ids[msg.source] if msg.source == msg.target else f"{ids[msg.source]},{ids[msg.target]}"
            lines.append(f"    Note over {over}: ✗ {escape_mermaid(failure.id, 60)} "
                         f"- {escape_mermaid(failure.text, 160)}")
    if not model.messages:
        lines.append(f"    Note over {ids[model.lifelines[0].id]}: no calls to draw")
    return "\n".join(lines) + "\n"
