"""The device's foundation, and the only part of `har_device` the host side may import: the error
contract, atomic writes, the bundle and its metadata, the LiteRT loader, frame preprocessing and
video I/O. One metadata contract and one inference code path serve both sides.

May import: NumPy, OpenCV, pydantic, ai-edge-litert; nothing else of har-edge, never click.
"""
