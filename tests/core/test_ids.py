import random
import time
import uuid

import pytest

from rexcrm.core import ids


def test_round_trip_of_random_and_extreme_values():
    values = [uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1)]
    values += [uuid.UUID(int=random.getrandbits(128)) for _ in range(2000)]
    for value in values:
        text = ids.encode("act", value)
        assert len(text) == len("act_") + 26
        assert ids.decode("act", text) == value
        assert ids.decode("act", text.lower()) == value  # case-insensitive input


def test_known_encoding_matches_ulid_spelling():
    # The ULID spec's example: 01ARZ3NDEKTSV4RRFFQ69G5FAV <-> 0x01563E3AB5D3D6764C61EFB99302BD5B
    value = uuid.UUID("01563e3a-b5d3-d676-4c61-efb99302bd5b")
    assert ids.encode("x", value) == "x_01ARZ3NDEKTSV4RRFFQ69G5FAV"


def test_uuid7_has_version_variant_and_sorts_by_time():
    first = ids.uuid7()
    time.sleep(0.002)
    second = ids.uuid7()
    assert first.version == 7 and first.variant == uuid.RFC_4122
    assert first < second
    assert ids.encode("act", first) < ids.encode("act", second)
    assert abs((first.int >> 80) - time.time() * 1000) < 5000


@pytest.mark.parametrize(
    "text",
    [
        None,
        42,
        "",
        "act",
        "act_",
        "cont_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "act_01ARZ3NDEKTSV4RRFFQ69G5FA",
        "act_01ARZ3NDEKTSV4RRFFQ69G5FAVX",
        "act_01ARZ3NDEKTSV4RRFFQ69G5FAU",  # U is not Crockford
        "act_81ARZ3NDEKTSV4RRFFQ69G5FAV",  # more than 128 bits
        "act_01ARZ3NDEKTSV4RRFFQ69G5FA!",
        "xact_01ARZ3NDEKTSV4RRFFQ69G5FAV",
    ],
)
def test_bad_ids_are_rejected(text):
    with pytest.raises(ids.InvalidId):
        ids.decode("act", text)


def test_encoder_and_its_inlined_source_encode_as_encode_does(monkeypatch):
    monkeypatch.setattr(ids, "MEMO_SIZE", 500)  # the memo fills and is emptied a few times
    encoder = ids.Encoder("cont")
    render = eval(f"lambda value: {encoder.source('value')}", encoder.names())
    values = [uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1), ids.uuid7()]
    values += [uuid.UUID(int=random.getrandbits(128)) for _ in range(2000)]
    for value in values * 2:  # each met again: from the memo
        assert encoder(value) == render(value) == ids.encode("cont", value)
    assert 0 < len(encoder.memo) <= 500
    other = ids.Encoder("comp")  # another prefix: its own memo, its own text
    assert other(values[0]) == ids.encode("comp", values[0]) != encoder(values[0])


@pytest.mark.parametrize("prefix", ["", "Act", "a-b", 'a"', "a{b}"])
def test_an_encoder_takes_only_a_lower_case_prefix(prefix):
    with pytest.raises(ValueError, match="not a TypeID prefix"):
        ids.Encoder(prefix)
