import pytest

from topics import audit
from topics.audit import AuditEntry


def test_an_audit_entry_cannot_be_changed_or_deleted(group, moderator, member):
    entry = audit.record(actor=moderator, action=AuditEntry.Action.WARN, group=group, target_user=member, reason="Spam")
    entry.reason = "Nothing happened"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "Spam"
