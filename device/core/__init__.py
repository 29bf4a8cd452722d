"""The device's foundation, and the only part of `har_device` the host side may import: the error
contract, atomic writes, the bundle and its metadata, the LiteRT loader, frame preprocessing,
video I/O, and the keypoint sequence format and normalisation (`keypoints`). One metadata
contract, one inference code path and one keypoint normalisation serve both sides.

May import: NumPy, OpenCV, pydantic, ai-edge-litert; nothing else of har-edge, never click.
"""
