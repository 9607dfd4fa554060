
import pytest

from rlm_studio.analysis.replay import Replay
from rlm_studio.analysis.tree import RunTree
from rlm_studio.engine.events import ModelCallDelta
from tests.analysis.analysis_streams import big_run, simple_run


def test_stepping_to_the_end_reproduces_the_stored_tree_exactly():
    events = simple_run().events
    replay = Replay(events)
    steps = []
    while (step := replay.step()) is not None:
        steps.append(step)
    assert len(steps) == len(events) and replay.at_end
    assert replay.tree.same_as(RunTree.from_events(events))
    assert steps[0].change.kind == "inserted" and steps[1].change is None  # context_attached


def test_back_and_seek_give_the_same_tree_as_a_fresh_build_at_every_position():
    events = simple_run().events
    replay = Replay(events, checkpoint_every=3)
    replay.seek(len(events))
    for position in range(len(events), -1, -1):
        replay.seek(position)
        assert replay.position == position
        assert replay.tree.same_as(RunTree.from_events(events[:position])), position
    assert replay.back() is False
    replay.seek(5)
    assert replay.back() is True and replay.position == 4


def test_rewinding_does_not_corrupt_checkpoints():
    events = simple_run().events
    replay = Replay(events, checkpoint_every=4)
    replay.seek(len(events))
    replay.seek(5)
    replay.seek(len(events))
    replay.seek(2)
    replay.seek(len(events))
    assert replay.tree.same_as(RunTree.from_events(events))
    root = replay.tree.root_id
    assert replay.tree.node(root).status == "completed"
    replay.seek(4)
    assert replay.tree.node(root).status == "running"


def test_forward_seek_returns_changes_and_backward_seek_says_rebuild():
    events = simple_run().events
    replay = Replay(events)
    changes = replay.seek(4)
    assert [c.kind for c in changes] == ["inserted", "inserted", "inserted"]
    assert replay.seek(1) is None and len(replay.tree) == 1


def test_bad_positions_are_refused_clearly():
    replay = Replay(simple_run().events)
    with pytest.raises(ValueError, match="outside 0.."):
        replay.seek(len(replay) + 1)
    with pytest.raises(TypeError, match="whole number"):
        replay.seek(1.5)


def test_ephemeral_deltas_are_skipped_and_unsorted_input_is_put_in_order():
    events = simple_run().events
    delta = ModelCallDelta(node_id=events[3].node_id, text="partial", seq=4)
    replay = Replay(list(reversed(events)) + [delta])
    assert len(replay) == len(events) and [e.seq for e in replay.events] == sorted(e.seq for e in events)


def test_delays_follow_original_timestamps_scaled_and_capped():
    b = simple_run(step=0.5)
    b.events[5].ts = b.events[4].ts + 10.0  # a long model call
    for e in b.events[6:]:
        e.ts += 9.5
    replay = Replay(b.events)
    assert replay.delay_before(0) == 0.0
    assert replay.delay_before(1) == pytest.approx(0.5)
    assert replay.delay_before(1, speed=4) == pytest.approx(0.125)
    assert replay.delay_before(5) == 2.0                          # capped
    assert replay.delay_before(5, speed=10, max_delay_s=5) == pytest.approx(1.0)
    assert replay.next_delay() == 0.0
    replay.seek(len(replay))
    assert replay.next_delay() is None
    assert replay.duration_s == pytest.approx(0.5 * (len(b.events) - 1) + 9.5)
    assert replay.position_at_time(0) == 1 and replay.position_at_time(1.0) == 3
    assert replay.position_at_time(replay.duration_s) == len(replay)
    with pytest.raises(ValueError, match="speed"):
        replay.delay_before(1, speed=0)


def test_large_run_seeks_exactly_and_long_jumps_use_checkpoints():
    """Seeking speed is measured by benchmarks/bench_analysis.py; here, that every seek lands exactly."""
    events = big_run(10_000).events
    replay = Replay(events)
    replay.seek(len(events))
    assert replay.tree.same_as(RunTree.from_events(events))
    for target in (len(events) // 2 + 7, 123, len(events) - 1, 9_999):
        replay.seek(target)
    assert replay.tree.same_as(RunTree.from_events(events[:9_999]))
    assert replay.seek(100) is None and replay.seek(len(events) - 3) is None  # long jumps use checkpoints
    assert replay.tree.same_as(RunTree.from_events(events[:-3]))
