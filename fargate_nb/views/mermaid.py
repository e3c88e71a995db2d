"""The sequence diagram as mermaid text: the same call sequence the plotly figure draws.

Everything that comes from AWS (role names, image tags, finding titles) is escaped with mermaid's
entity codes, so a hostile name cannot end a statement (``;``, newline), open an entity (``#``),
inject HTML (``<``, ``>``, ``&``) or add a participant, note or directive.
"""

from __future__ import annotations

import re

from fargate_nb.model import Diagnosis, Sequence
from fargate_nb.views.diagram import STATUS_MARKS, call_failure, clean

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


def _ids(seq: Sequence) -> dict[str, str]:
    """Participant ids are generated (p0, p1...), never taken from AWS names."""
    return {lf.id: f"p{i}" for i, lf in enumerate(seq.lifelines)}


def to_mermaid(diagnosis: Diagnosis) -> str:
    """A mermaid ``sequenceDiagram`` of the diagnosis' call sequence."""
    if not isinstance(diagnosis, Diagnosis):
        raise TypeError("to_mermaid takes a Diagnosis")
    seq = diagnosis.sequence
    ids = _ids(seq)
    first = seq.lifelines[0].id if seq.lifelines else None
    lines = ["sequenceDiagram"]
    if seq.title:
        lines.append(f"    title {escape_mermaid(seq.title, 120)}")
    for lf in seq.lifelines:
        label = escape_mermaid(lf.label, 60, label=True)
        if lf.id == "sts" and lf.detail:
            label += f" {escape_mermaid(lf.detail, 60, label=True)}"
        lines.append(f"    participant {ids[lf.id]} as {label}")
    if first is None:
        lines.append("    participant p0 as Fargate")
        ids = {"fargate": "p0"}
        first = "fargate"
    step = None
    for call in seq.calls:
        if call.step != step:
            lines.append(f"    Note over {ids[first]}: step {escape_mermaid(call.step)}")
            step = call.step
        arrow = "-x" if call.status == "fail" and call.reached else ("-->>" if not call.reached else "->>")
        mark = STATUS_MARKS.get(call.status, "?") if call.reached else "·"
        state = call.status if call.reached else "not reached"
        lines.append(f"    {ids[call.source]}{arrow}{ids[call.target]}: {mark} {escape_mermaid(call.label, 120)}"
                     f" ({escape_mermaid(state)})")
        failure = call_failure(diagnosis, call) if call.first_failure else None
        if failure is not None:
            over = ids[call.source] if call.source == call.target else f"{ids[call.source]},{ids[call.target]}"
            lines.append(f"    Note over {over}: ✗ {escape_mermaid(failure.id, 60)} "
                         f"- {escape_mermaid(failure.text, 160)}")
    if not seq.calls:
        lines.append(f"    Note over {ids[first]}: no calls to draw")
    return "\n".join(lines) + "\n"
