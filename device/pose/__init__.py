"""The pose stage: MediaPipe BlazePose (detector + full landmark model) run in LiteRT, tracked from
frame to frame and smoothed, turning a camera frame into 33 body landmarks.

It may import NumPy, OpenCV, ai-edge-litert and the har_device core modules (errors, litert, atomic,
video, sources); never TensorFlow and never the `mediapipe` package: the model files are fetched
once from its wheel (`har-pose fetch`) and everything else is this package's own code. Only `cli`
imports click.
"""
