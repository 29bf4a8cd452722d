"""The backdrop behind the figure: wall and floor with gradient, texture and pattern, and furniture
drawn in world units so it has the right size next to the person."""
from __future__ import annotations

import cv2
import numpy as np

from har_device.synth.camera import Camera
from har_device.synth.look import Colour, Furniture, Room

AA = cv2.LINE_AA


def _gradient(top: Colour, bottom: Colour, rows: int, cols: int) -> np.ndarray:
    w = np.linspace(0.0, 1.0, max(rows, 1), dtype=np.float32)[:, None, None]
    column = np.array(top, np.float32) * (1 - w) + np.array(bottom, np.float32) * w
    return np.repeat(column, cols, axis=1)


def _texture(rng: np.random.Generator, rows: int, cols: int, cells: int, strength: float) -> np.ndarray:
    """Smooth blotches (a few random cells, upsampled) plus fine grain: plaster, carpet, wood."""
    coarse = rng.normal(0, 1, (cells, cells)).astype(np.float32)
    blotch = cv2.resize(coarse, (cols, rows), interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0, 0.35, (rows, cols)).astype(np.float32)
    return ((blotch + grain) * strength)[..., None]


def _pattern(canvas: np.ndarray, pattern: str, floor_row: int, step: int) -> None:
    rows, cols = canvas.shape[:2]
    if pattern == "stripes":
        for x in range(0, cols, step):
            canvas[:floor_row, x:x + max(1, step // 4)] *= 0.9
    elif pattern == "tiles":
        for x in range(0, cols, step):
            canvas[floor_row:, x] *= 0.8
        for y in range(floor_row, rows, max(2, step // 2)):
            canvas[y, :] *= 0.8
    elif pattern == "planks":
        for y in range(floor_row, rows, max(2, step // 3)):
            canvas[y, :] *= 0.85


def _rect(img: np.ndarray, camera: Camera, x0: float, y0: float, x1: float, y1: float,
          colour: Colour, thickness: int = -1) -> None:
    (u0, v0), (u1, v1) = camera.to_px(np.array([[x0, y1], [x1, y0]])) + camera.margin
    cv2.rectangle(img, (int(round(u0)), int(round(v0))), (int(round(u1)), int(round(v1))),
                  colour, thickness, AA)


def _darker(colour: Colour, factor: float = 0.7) -> Colour:
    return tuple(int(c * factor) for c in colour)


def draw_furniture(img: np.ndarray, camera: Camera, piece: Furniture) -> None:
    """One piece as a few rectangles: enough shape to read as furniture at 100 px."""
    x0, x1 = piece.x - piece.width / 2, piece.x + piece.width / 2
    y0, y1 = piece.elevation, piece.elevation + piece.height
    c, edge = piece.colour, _darker(piece.colour)
    if piece.kind == "table":
        _rect(img, camera, x0, y1 - 0.04, x1, y1, c)
        for leg in (x0 + 0.03, x1 - 0.06):
            _rect(img, camera, leg, 0, leg + 0.03, y1 - 0.04, edge)
    elif piece.kind == "chair":
        back = piece.x - piece.facing * piece.width / 2
        _rect(img, camera, back - 0.018, 0, back + 0.018, y1 + 0.32, edge)
        front = piece.x + piece.facing * (piece.width / 2 - 0.03)
        _rect(img, camera, front - 0.015, 0, front + 0.015, y1 - 0.04, edge)
    elif piece.kind == "sofa":
        _rect(img, camera, x0, 0.05, x1, y1, c)
        _rect(img, camera, x0, 0.05, x1, y1 * 0.55, edge)
        _rect(img, camera, x0, 0.05, x0 + 0.1, y1 * 0.75, edge)
        _rect(img, camera, x1 - 0.1, 0.05, x1, y1 * 0.75, edge)
    elif piece.kind == "window":
        _rect(img, camera, x0, y0, x1, y1, tuple(min(255, v + 90) for v in c))
        _rect(img, camera, x0, y0, x1, y1, edge, 2)
        _rect(img, camera, piece.x - 0.01, y0, piece.x + 0.01, y1, edge)
    else:
        _rect(img, camera, x0, y0, x1, y1, c)
        _rect(img, camera, x0, y0, x1, y1, edge, 1)
        if piece.kind == "shelf":
            for level in np.arange(y0 + 0.3, y1 - 0.05, 0.3):
                _rect(img, camera, x0, level, x1, level + 0.025, edge)
        elif piece.kind in ("cabinet", "door"):
            _rect(img, camera, piece.x + 0.35 * piece.width - 0.02, y0 + 0.45 * piece.height,
                  piece.x + 0.35 * piece.width, y0 + 0.5 * piece.height, edge)


def draw_backdrop(room: Room, camera: Camera, extra: tuple[Furniture, ...] = ()) -> np.ndarray:
    """The empty scene as uint8 BGR, `camera.margin` pixels larger than the frame on every side."""
    rng = np.random.default_rng(room.seed)
    rows, cols = camera.height + 2 * camera.margin, camera.width + 2 * camera.margin
    floor_row = int(np.clip(round(camera.floor_px) + camera.margin, 0, rows))
    canvas = np.concatenate([_gradient(*room.wall, floor_row, cols),
                             _gradient(*room.floor, rows - floor_row, cols)], axis=0)[:rows]
    canvas += _texture(rng, rows, cols, room.texture_cells, room.texture)
    _pattern(canvas, room.pattern, floor_row, max(4, int(camera.scale * 0.25)))
    img = np.clip(canvas, 0, 255).astype(np.uint8)
    for piece in room.furniture + extra:
        draw_furniture(img, camera, piece)
    return img
