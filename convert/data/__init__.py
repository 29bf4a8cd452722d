"""har_convert.data: UCF101-style video folders -> model inputs, for training, calibration and evaluation.

    from har_convert.data import load_dataset, calibration_samples
    data = load_dataset("data/", frames=16, size=96, sample_fps=8.0, split=1, seed=0)
    data.labels                    # class names in index order (classInd.txt, else sorted folders)
    data.train.x, data.train.y     # uint8 (N, T, S, S, 3) RGB, int64 (N,)
    data.test.inputs()             # float32 model input, x = pixel / 255
    data.skipped                   # [Skipped(path, reason)]: unreadable, empty, too short, missing
    calib = calibration_samples("calibration_data/", frames=16, size=96, n=64, sample_fps=8.0)

- Folders: `ROOT/<class>/<clip>`, with or without `classInd.txt` and `trainlist0N.txt` /
  `testlist0N.txt` (`split=N`); without them, a seeded split by group (`_gNN_` of UCF names)
  stratified per class (`ucf`).
- Sampling: T frames uniformly over each clip (`sample_fps=None`) or at `sample_fps`, centred;
  squash-resized and converted to RGB by har_device.core.preprocess.resize_frame (`clips`).
- Keypoint sequences (`<class>/<clip>.npz`, har_device.core.keypoints' format) load the same
  way: T frames at `sample_fps` (default the file's rate), centred, normalised as on the device
  into float32 (T, FEATURES); `ClipIndex.kind` says which kind a folder holds (never both).
- Bad videos are skipped with one warning line; an unusable folder is BadInput (`dataset`).
- `har_convert.data.batches.training_dataset`: the augmented tf.data pipeline (imports TF).
"""
from har_convert.data.clips import PAD_TOLERANCE, TooShort, decode_clip, sample_indices
from har_convert.data.dataset import (
                                      ClipSet,
                                      Dataset,
                                      Skipped,
                                      calibration_samples,
                                      common_fps,
                                      load_clips,
                                      load_dataset,
)
from har_convert.data.ucf import (
                                      ClipIndex,
                                      ClipRef,
                                      index_folder,
                                      parse_ucf_name,
                                      stratified_group_split,
)

__all__ = ["ClipIndex", "ClipRef", "ClipSet", "Dataset", "PAD_TOLERANCE", "Skipped", "TooShort",
           "calibration_samples", "common_fps", "decode_clip", "index_folder", "load_clips",
           "load_dataset", "parse_ucf_name", "sample_indices", "stratified_group_split"]
