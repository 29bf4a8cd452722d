"""har_convert.train.zoo: the reference HAR architectures, as untrained Keras 3 models (weights=None;
`har_convert.train.pretrained` puts ImageNet or a file's weights into a backbone afterwards).

Every pixel model takes float32 RGB, channels last, scaled x = pixel / 255 into [0, 1] -- the
input convention of the whole project (the bundle records it as scale 1/255, offset 0); the
keypoint heads (kp-tcn, kp-gru) take (T, FEATURES) windows normalised by
har_device.core.keypoints (the bundle records the normalisation). Clip models
take (T, S, S, 3) and start with TimeDistributed(frame network) named `frame_features` (except
convlstm); frame models take (S, S, 3) and a clip's scores are the mean over its frames
(`clip_scores`). All are built from standard Keras layers, no Lambda, so they save and load as
`.keras` with safe_mode=True and the converter can rebuild them in tf_keras.
Train a clip model through `fold_time(model)` (same weights, far faster to trace), save `model`.

    from har_convert.train.zoo import build, ARCHITECTURES
    model = build("mnv2-tcn", num_classes=6, frames=16, size=96, alpha=0.35)
"""
from har_convert.train.zoo.folding import fold_time
from har_convert.train.zoo.frame import clip_scores
from har_convert.train.zoo.heads import FRAME_FEATURES
from har_convert.train.zoo.reference import BACKBONES, reference_classifier
from har_convert.train.zoo.registry import ARCHITECTURES, ArchSpec, build, spec_for

__all__ = ["ARCHITECTURES", "ArchSpec", "BACKBONES", "FRAME_FEATURES", "build",
           "clip_scores", "fold_time", "reference_classifier", "spec_for"]
