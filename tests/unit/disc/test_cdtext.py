"""disc/cdtext.py: CD-TEXT packs decoded into (key, value) fields; damage dropped with a log line."""

from __future__ import annotations

import logging

import pytest

from conftest import corpus_file
from mount_image.disc import cdtext
from support.cdtextpacks import crc, encode

FIELDS = {0: {"TITLE": "An Album Title Longer Than One Pack", "PERFORMER": "Band", "UPC_EAN": "1234567890123"},
          1: {"TITLE": "First", "PERFORMER": "Band"},
          2: {"TITLE": "Second song with a long name", "PERFORMER": "Band", "SONGWRITER": "Someone"},
          3: {"TITLE": "Third", "PERFORMER": "Other"}}


def as_tuples(fields: dict[str, str], isrc: bool = False) -> tuple[tuple[str, str], ...]:
    order = ["TITLE", "PERFORMER", "SONGWRITER", "UPC_EAN"]
    return tuple(("ISRC" if isrc and k == "UPC_EAN" else k, fields[k]) for k in order if k in fields)


def test_crc_matches_the_packs_of_a_real_file() -> None:
    data = corpus_file("libcdio/cdtext.cdt").read_bytes()
    assert all(crc(data[i:i + 16]) == data[i + 16:i + 18] for i in range(0, len(data) - 17, 18))
    assert cdtext.crc16(data[:16]) == int.from_bytes(data[16:18], "big")


@pytest.mark.parametrize("tab", [True, False], ids=["tab-repeats", "spelled-out"])
def test_our_packs_decode_to_the_fields(tab: bool) -> None:
    text = cdtext.decode(encode(FIELDS, tab=tab), "test")
    assert text.disc == as_tuples(FIELDS[0])
    for n in (1, 2, 3):
        assert text.track(n) == as_tuples(FIELDS[n])


def test_double_byte_text() -> None:
    fields = {0: {"TITLE": "アルバム"}, 1: {"TITLE": "うた"}, 2: {"TITLE": "うた"}}
    text = cdtext.decode(encode(fields, "shift_jis"), "test")
    assert text.disc == (("TITLE", "アルバム"),)
    assert text.track(1) == text.track(2) == (("TITLE", "うた"),)


def test_further_language_blocks_are_kept_with_their_language() -> None:
    """Block 0 gives the plain keys; blocks 1.. (other languages) give "ja.TITLE"-style keys,
    named from the language code in their size information; an unknown code names the block."""
    japanese = {0: {"TITLE": "アルバム"}, 1: {"TITLE": "うた"}, 3: {"PERFORMER": "バンド"}}
    packs = (encode(FIELDS) + encode(japanese, "shift_jis", block=1, language=0x69)
             + encode({0: {"TITLE": "Zweite"}}, block=2, language=0x7F))
    text = cdtext.decode(packs, "test")
    assert text.disc == as_tuples(FIELDS[0]) + (("ja.TITLE", "アルバム"), ("block2.TITLE", "Zweite"))
    assert text.track(1) == as_tuples(FIELDS[1]) + (("ja.TITLE", "うた"),)
    assert text.track(2) == as_tuples(FIELDS[2])
    assert text.track(3) == as_tuples(FIELDS[3]) + (("ja.PERFORMER", "バンド"),)


def test_corpus_files() -> None:
    """The three .cdt files in libcdio's test data (cdrdao and libburn wrote them)."""
    text = cdtext.decode(corpus_file("libcdio/cdtext.cdt").read_bytes(), "cdtext.cdt")
    assert ("TITLE", "Joyful Nights") in text.disc and ("UPC_EAN", "1234567890123") in text.disc
    assert ("GENRE", "Feline classic music") in text.disc
    assert text.track(1)[:2] == (("TITLE", "Song of Joy"), ("PERFORMER", "Felix and The Purrs"))
    assert ("ISRC", "XYBLG1101234") in text.track(1)
    assert text.track(3)[:2] == (("TITLE", "Mee Owwww"), ("PERFORMER", "Mia Kitten"))
    krosis = cdtext.decode(corpus_file("libcdio/cdtext-krosis.cdt").read_bytes(), "krosis")
    assert krosis.disc == (("TITLE", "A Memoir of Free Will"), ("PERFORMER", "Krosis"))
    assert sorted(krosis.tracks) == list(range(1, 11))
    assert all(("PERFORMER", "Krosis") in fields for fields in krosis.tracks.values())   # TAB repeats
    burnia = cdtext.decode(corpus_file("libcdio/cdtext-libburnia.cdt").read_bytes(), "libburnia")
    assert burnia.track(2)[0] == ("TITLE", "The Hunt")


def test_read_toc_header_is_skipped() -> None:
    packs = encode(FIELDS)
    header = (len(packs) + 2).to_bytes(2, "big") + b"\0\0"
    assert cdtext.decode(header + packs, "test") == cdtext.decode(packs, "test")


def test_bad_crc_pack_is_dropped_with_a_log_line(caplog) -> None:
    packs = bytearray(encode(FIELDS))
    packs[4] ^= 0xFF                       # first TITLE pack: its text no longer matches its CRC
    with caplog.at_level(logging.WARNING):
        text = cdtext.decode(bytes(packs), "bad.cdt")
    assert "bad.cdt: 1 CD-TEXT pack with a bad CRC or type dropped" in caplog.text
    assert text.disc[0][0] == "PERFORMER"  # the title string lost its start: not made up
    assert text.track(3) == as_tuples(FIELDS[3])


@pytest.mark.parametrize("cut", [1, 17, 18 * 5 + 3])
def test_truncated_packs(cut: int, caplog) -> None:
    packs = encode(FIELDS)
    with caplog.at_level(logging.WARNING):
        text = cdtext.decode(packs[:len(packs) - cut], "cut.cdt")
    assert "not whole 18-byte packs" in caplog.text or cut % 18 == 0
    assert isinstance(text, cdtext.CdText)


def test_repeated_sequence_numbers_do_not_loop(caplog) -> None:
    packs = encode(FIELDS)
    looped = packs[:18 * 4] + packs[:18 * 4] * 50 + packs[18 * 4:]
    with caplog.at_level(logging.WARNING):
        text = cdtext.decode(looped, "loop.cdt")
    assert "sequence number 0 repeated" in caplog.text
    assert text.disc == as_tuples(FIELDS[0])


def test_string_without_end(caplog) -> None:
    pack = bytes((0x80, 0, 0, 0)) + b"A" * 12
    endless = b"".join(bytes((0x80, 0, i, min(15, i * 12))) + b"A" * 12 for i in range(200))
    endless = b"".join(p + crc(p) for p in (endless[i:i + 16] for i in range(0, len(endless), 16)))
    with caplog.at_level(logging.WARNING):
        text = cdtext.decode(endless + pack + crc(pack), "endless.cdt")
    assert "has no end" in caplog.text and text.disc == ()


@pytest.mark.parametrize("data", [b"", b"\x00" * 18, bytes(range(256)) * 3, b"\x80" * 18 * 3],
                         ids=["empty", "zeros", "noise", "type-only"])
def test_garbage_never_raises(data: bytes) -> None:
    text = cdtext.decode(data, "junk")
    assert isinstance(text, cdtext.CdText)
    assert cdtext.decode(data, "junk", crc=False) is not None
