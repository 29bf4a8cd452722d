"""har-synth: rendered people doing the six actions, for training data, calibration sets and the
agent's `synthetic:` camera; and keypoint sequences of the same actions (`skeleton`: what the pose
stage would report, to train the heads over keypoints). numpy + OpenCV only."""
from har_device.synth.actions import LABELS
from har_device.synth.clips import figure_boxes, plan_clip, render_clip, vertical_extent
from har_device.synth.script import (
                                     Segment,
                                     iter_script_frames,
                                     parse_script,
                                     plan_script,
                                     render_script,
                                     timeline,
)

__all__ = ["LABELS", "Segment", "figure_boxes", "iter_script_frames", "parse_script", "plan_clip",
           "plan_script", "render_clip", "render_script", "timeline", "vertical_extent"]
