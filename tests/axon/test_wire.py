"""Wire codecs: batches cross a boundary intact, unsafe decoding is opt-in, errors name the
message, and framing reassembles any chunking with a bound."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, strategies as st

from axon import ProducerFinished, ReaderGone, Shutdown
from axon._processes._wire import (
    CodecError, DecodeError, EncodeError, FrameReader, JSONCodec, MsgpackCodec, PickleCodec,
    codec_for, frame,
)

ALL = [MsgpackCodec, JSONCodec, PickleCodec]

plain = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("codec_type", ALL)
@given(batch=st.lists(plain, max_size=20))
def test_plain_data_round_trips_through_every_codec(codec_type, batch):
    codec = codec_type()
    assert codec.decode_batch(codec.encode_batch(batch)) == batch


@pytest.mark.parametrize("codec_type", ALL)
def test_the_end_of_stream_messages_cross_every_codec_with_their_reason(codec_type):
    codec = codec_type()
    batch = [1, ProducerFinished("done"), Shutdown("stop"), {"k": ProducerFinished()},
             ReaderGone("readers gone: X")]
    back = codec.decode_batch(codec.encode_batch(batch))
    assert back == batch
    assert type(back[1]) is ProducerFinished and type(back[2]) is Shutdown
    assert type(back[4]) is ReaderGone


def test_msgpack_keeps_bytes_and_tuples_apart_from_str_and_lists():
    codec = MsgpackCodec()
    batch = [b"\x00\xff", ("word", 3), ["a", 1], {1: (2, 3)}, bytearray(b"ab")]
    assert codec.decode_batch(codec.encode_batch(batch)) == [
        b"\x00\xff", ("word", 3), ["a", 1], {1: (2, 3)}, b"ab"]
    assert type(codec.decode_batch(codec.encode_batch([(1, 2)]))[0]) is tuple


def test_msgpack_keeps_tuples_nested_in_tuples():
    codec = MsgpackCodec()
    batch = [("t", (1, "a")), ((1, (2, (3,))),), ("t", [1, (2, 3)]), (ProducerFinished("x"),)]
    back = codec.decode_batch(codec.encode_batch(batch))
    assert back == batch and type(back[0][1]) is tuple and type(back[1][0][1][1]) is tuple
    assert codec.decode_batch(codec.encode_batch(batch)) == batch  # (the packers are reusable)


@pytest.mark.parametrize("codec_type", [MsgpackCodec, JSONCodec])
def test_an_unencodable_message_is_named_by_index_and_type(codec_type):
    codec = codec_type()
    with pytest.raises(EncodeError) as err:
        codec.encode_batch([1, 2, object(), 4])
    assert err.value.index == 2 and "message 2" in str(err.value) and "object" in str(err.value)
    with pytest.raises(EncodeError, match="a message \\(object\\)"):
        codec.encode(object())


def test_pickle_names_an_unpicklable_message():
    with pytest.raises(EncodeError) as err:
        PickleCodec().encode_batch(["ok", lambda: 1])
    assert err.value.index == 1 and "function" in str(err.value)


@pytest.mark.parametrize("codec_type", ALL)
@pytest.mark.parametrize("payload", [b"", b"\xc1garbage", b"not json {", b"\x80\x05K\x01."])
def test_a_bad_payload_is_a_decode_error_and_the_codec_keeps_working(codec_type, payload):
    codec = codec_type()
    with pytest.raises(DecodeError):
        codec.decode_batch(payload)
    assert codec.decode_batch(codec.encode_batch([1, "two"])) == [1, "two"]


def test_safe_codecs_never_unpickle():
    class Boom:
        def __reduce__(self):
            return (print, ("pwned",))

    evil = pickle.dumps([Boom()])
    for codec in (MsgpackCodec(), JSONCodec()):
        assert codec.safe
        with pytest.raises(DecodeError):
            codec.decode_batch(evil)
    assert not PickleCodec.safe


def test_codec_for_names_the_known_codecs():
    assert isinstance(codec_for(None), MsgpackCodec)
    assert isinstance(codec_for("json"), JSONCodec)
    c = PickleCodec()
    assert codec_for(c) is c
    with pytest.raises(CodecError, match="known: msgpack, json, pickle"):
        codec_for("yaml")


@given(payloads=st.lists(st.binary(max_size=300), max_size=10),
       cuts=st.lists(st.integers(1, 50), min_size=1, max_size=20))
def test_frames_reassemble_across_any_chunking(payloads, cuts):
    stream = b"".join(frame(p) for p in payloads)
    reader = FrameReader()
    out, pos, i = [], 0, 0
    while pos < len(stream):
        n = cuts[i % len(cuts)]
        out += reader.feed(stream[pos:pos + n])
        pos += n
        i += 1
    assert out == payloads and reader.pending == 0


def test_an_oversized_frame_is_refused_before_it_is_buffered():
    reader = FrameReader(max_frame=100)
    assert reader.feed(frame(b"x" * 100)) == [b"x" * 100]
    with pytest.raises(DecodeError, match="101 bytes is over the limit of 100"):
        reader.feed(frame(b"y" * 101)[:10])
