"""Evidence files (product §6): checked before anything is written, stored under random names
through Django's storage API, their SHA-256 chained in the ``evidence_added`` event."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Sum
from django.utils.translation import gettext as _

from core.errors import ValidationFailed

from ..due import case_apply_due
from ..evidence import FIELD, CheckedFile, check_evidence_file, in_mb
from ..ledger import text_sha256
from ..models import Case, Evidence
from ..op import Op
from ..rules import Action, require_action
from ._common import E, acting, context

logger = logging.getLogger(__name__)

DESCRIPTION_MAX = Evidence._meta.get_field("description").max_length


def evidence_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise ValidationFailed(
            _("Keep the description to %(max)s characters.") % {"max": DESCRIPTION_MAX},
            code="too_long",
            field="description",
        )
    return description


def evidence_precheck(
    case: Case, actor, action: Action = Action.ADD_EVIDENCE, now: datetime | None = None
) -> None:
    """Refuse, before any file is read, someone who may not take ``action`` (one that brings
    files) on the case as it stands now: the engine's own check (``require_action``), on the
    case read afresh after its due deadlines were done, without locking it.

    Reading and decoding a file costs far more than this; a file of someone who is no party, or
    for a case that takes no more evidence, is refused unread. ``acting`` checks again under the
    lock before anything is stored, so a case that moves on in between still refuses."""
    now, policy, calendar = context(now)
    case_apply_due(case.pk, now=now, policy=policy, calendar=calendar)
    current = Case.objects.select_related("office", "merchant").get(pk=case.pk)
    require_action(current, actor, action, now=now)


@contextmanager
def files_removed_on_failure() -> Iterator[list[Evidence]]:
    """Yield a list for the evidence the block stores; if the block fails (its transaction is
    then rolled back), remove their files, so no file outlives the rows that would refer to it.

    Enter it outside ``acting`` so that a failure to commit is caught too.
    """
    stored: list[Evidence] = []
    try:
        yield stored
    except BaseException:
        for evidence in stored:
            try:
                evidence.file.delete(save=False)
            except Exception:  # the original error matters more; the file is logged to remove
                logger.exception("Could not remove evidence file %s", evidence.file.name)
        raise


def evidence_store(
    op: Op, files: list[CheckedFile], stored: list[Evidence], *, description: str = ""
) -> list[Evidence]:
    """Store checked ``files`` on the locked case and record an ``evidence_added`` event for
    each; refuse them all when they would take the case past its total."""
    if not files:
        return []
    held = op.case.evidence.aggregate(total=Sum("size"))["total"] or 0
    limit = settings.ODR_EVIDENCE_MAX_CASE_BYTES
    adding = sum(f.size for f in files)
    if held + adding > limit:
        raise ValidationFailed(
            _(
                "A case can hold %(limit)s MB of evidence in all; %(left)s MB are left, not "
                "enough for %(size)s MB more."
            )
            % {"limit": in_mb(limit), "left": in_mb(max(limit - held, 0)), "size": in_mb(adding)},
            code="case_evidence_full",
            field=FIELD,
        )
    made = []
    for checked in files:
        evidence = Evidence(
            case=op.case,
            uploaded_by=op.actor,
            original_name=checked.original_name,
            description=description,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            created_at=op.now,
        )
        # Only the extension is passed on: the model's upload_to makes the name random.
        evidence.file.save(f"upload.{checked.kind.extension}", ContentFile(checked.content), False)
        stored.append(evidence)
        evidence.save()
        op.record(
            E.EVIDENCE_ADDED,
            {
                "evidence": evidence.pk,
                "party": op.party,
                "sha256": checked.sha256,
                "size": checked.size,
                "content_type": checked.content_type,
                "name_sha256": text_sha256(checked.original_name),
                "description_sha256": text_sha256(description),
            },
        )
        made.append(evidence)
    return made


def evidence_add(
    *, case: Case, actor, file, description: str = "", now: datetime | None = None
) -> Evidence:
    """Attach an uploaded ``file`` to the case; a refused file changes nothing. Whether the
    actor may attach evidence to the case is checked before the file is read."""
    evidence_precheck(case, actor, Action.ADD_EVIDENCE, now)
    description = evidence_description(description)
    checked = check_evidence_file(file)
    with files_removed_on_failure() as stored, acting(case, actor, Action.ADD_EVIDENCE, now) as op:
        [evidence] = evidence_store(op, [checked], stored, description=description)
    return evidence
