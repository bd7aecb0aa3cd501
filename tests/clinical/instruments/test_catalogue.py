"""The instrument catalogue: every entry sourced; unverified scores listed but not shipped."""

from __future__ import annotations

from lss_pathway.clinical.instruments.catalogue import instruments


def test_every_instrument_has_a_source_and_a_tag() -> None:
    for entry in instruments():
        assert entry.source.url.startswith(("http://", "https://")), entry.id
        assert entry.source.verification in {"V", "P", "S", "U"}, entry.id


def test_scores_without_verified_weights_are_not_shipped() -> None:
    by_id = {e.id: e for e in instruments()}
    for withheld in ("konno_dst", "sugioka", "nclass"):
        assert not by_id[withheld].is_shipped
        assert not by_id[withheld].scored_by_command
        assert by_id[withheld].source.verification in {"S", "U"}
    for shipped in ("cook", "sshq", "odi", "zcq", "nprs"):
        assert by_id[shipped].is_shipped and by_id[shipped].scored_by_command
