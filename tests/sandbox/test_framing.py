import pytest

from rlm_studio.sandbox.framing import FrameDecoder, FrameError, encode_frame


def test_frames_survive_any_chunking():
    messages = [{"op": "req", "id": i, "text": "é" * i} for i in range(20)]
    stream = b"".join(encode_frame(m) for m in messages)
    for chunk in (1, 3, 7, 64, len(stream)):
        decoder = FrameDecoder()
        out = []
        for start in range(0, len(stream), chunk):
            out += decoder.feed(stream[start:start + chunk])
        assert out == messages


def test_garbage_is_an_error_not_a_crash():
    with pytest.raises(FrameError):
        FrameDecoder().feed(b"\x00\x00\x00\x03abc")
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(FrameError):
        FrameDecoder().feed(len(deep).to_bytes(4, "big") + deep)
    with pytest.raises(FrameError, match="limit"):
        FrameDecoder().feed(b"\xff\xff\xff\xff")
