"""The pose stage: MediaPipe BlazePose (detector + full landmark model) run in LiteRT, tracked from
frame to frame and smoothed, turning a camera frame into 33 body landmarks.

May import: NumPy, OpenCV, ai-edge-litert, `har_device.core` and `har_device.sources`; never
TensorFlow and never the `mediapipe` package: the model files are fetched once from its wheel
(`har-pose fetch`, in `har_device.cli.pose`) and everything else is this package's own code.
"""
