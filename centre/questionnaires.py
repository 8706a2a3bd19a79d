"""`synaq-centre questionnaires --key centre.pub --out DIR`: the questionnaires Synaq ships,
each naming this centre's public key, ready to send to the schools. A room is made with them
(`room-server init --questionnaire FILE`), and its students' answers are then sealed to this
centre alone. The same text the demo writes (`content.questionnaire_loader.with_centre_key`)."""

from __future__ import annotations

import os
from pathlib import Path

from content.questionnaire_loader import load_questionnaire, shipped_questionnaires, with_centre_key

from .keys import CentreKey


class QuestionnairesError(Exception):
    """The questionnaires were not written; the message says why."""


def write_questionnaires(key: CentreKey, out: Path) -> list[Path]:
    """Writes one file per shipped questionnaire into `out`; each is read back and must name
    the key. Existing files are never overwritten (a school may already hold them)."""
    sources = shipped_questionnaires()
    if not sources:
        raise QuestionnairesError("no questionnaire is shipped with this installation (content/questionnaires)")
    out = Path(out)
    targets = [out / source.name for source in sources]
    there = [t for t in targets if t.exists()]
    if there:
        raise QuestionnairesError(f"{there[0]} already exists; choose an empty folder (nothing was written)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for source, target in zip(sources, targets):
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_text(with_centre_key(source, key.public), encoding="utf-8")
            questionnaire, problems = load_questionnaire(tmp)
            if questionnaire is None or questionnaire.centre_key != key.public:
                tmp.unlink()
                raise QuestionnairesError(f"{source.name} did not read back naming the key: "
                                          + "; ".join(map(str, problems[:3])))
            os.replace(tmp, target)
            written.append(target)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written
