"""The tiling core: an image of any size super-resolved in bounded memory, equal to one pass.

One `Tiler` serves `upscale`, `evaluate`, `compare`, training's validation (through
`upscaling.upscale`) and the SavedModel's graph (`export.py` calls it inside its signatures): its
loops are `tf.range` loops, Python loops when called eagerly and while loops in a graph.

Where the time and the memory go (float32, one pass, measured before the tiling core was
written: docs/performance.md, "Tiles"): the trunk (34
convolutions of 64 maps at LR) takes 55% of the time and ~1.5 KB per input pixel; the tail
(the two upsamplers) 42% of the time and ~11 KB per input pixel; the back-projection steps and
the gate the rest, ~1.5 KB per input pixel. So:

1. **Tiles** of the LR image, `tile` pixels a side with `context` pixels of context around each
   core: the trunk runs on a whole tile. An image no larger than a tile is one tile, with no
   context to recompute.
2. **Tail strips**: the tail runs on rows of the tile's features, `STRIP_PIXELS` features per
   strip, each with the tail's own reach (2 pixels) above and below.
3. **Post strips**: the steps and the gate run on rows of the raw output, `POST_STRIP_PIXELS`
   input pixels per strip, each with their reach (`PostProcessing.margin`) above and below.
4. The self-ensemble runs steps 1-2 on each orientation of the tile and averages the raw
   outputs turned back (a flipped tile is the flipped image's tile).

Every context covers what the parts after it reach, so each kept pixel sees exactly the input
it sees in one whole-image pass, and image borders stay borders: tiled equals whole
(`tests/test_inference.py`). Inputs with a side below `min_side.MIN_SIDE` are mirrored up to it
first and the output cropped back, as the Keras model does.
"""

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from srgan_tf import protocols
from srgan_tf.config import DEFAULT_TILE, SCALE
from srgan_tf.inference.post_settings import NONE, PostProcessing
from srgan_tf.models import self_ensemble, trunk_tail
from srgan_tf.models.back_projection import BicubicUp
from srgan_tf.models.min_side import MIN_SIDE

# Features per tail strip: ~11 KB each in float32 (half in bfloat16), so ~360 MB a strip.
STRIP_PIXELS = 32_768
# Input pixels per strip of the steps and the gate: ~1.5 KB each, so ~200 MB a strip.
POST_STRIP_PIXELS = 131_072
MIN_STRIP_ROWS = 8


def context_for(reach: trunk_tail.Reach, post: PostProcessing = NONE) -> int:
    """Input pixels of context a tile keeps around its core: what the trunk, the tail, the
    steps and the gate reach (the self-ensemble reaches no further)."""
    return reach.total + post.margin


# The most work a tile may cost per pixel it keeps, as the command line allows it: a tile of
# side t with context c keeps a core of t - 2c, so it computes (t / (t - 2c))^2 times its core.
MAX_TILE_WORK = 4.0


# The memory of one tile of upscale's default path, besides its outputs: `fixed` GB (the
# process, the model, a strip of the tail and of the steps) plus `per_pixel` bytes per input
# pixel of the tile (the trunk's activations): a bound fitted on one-tile crops by
# `python bench/tile_memory.py --save=tile_memory` (bench/results/tile_memory.json).
TILE_MEMORY = {"float32": (1.295, 823.0), "bfloat16": (0.940, 1060.0)}
# Bytes per input pixel of the outputs held beside the tile: the uint8 output being written into
# (48), and in a folder the previous photo's still being encoded (48, and Pillow's copy of it
# at 4 bytes a pixel, 64): upscale_tree lets one output wait, no more.
OUTPUT_BYTES = 48 + 48 + 64


def auto_tile(h: int, w: int, precision: str = "float32", context: int = 51) -> int:
    """The tile side `--tile=-1` takes for an `h x w` input: the whole image as one tile when
    its trunk fits `config.MEMORY_BUDGET_GB` beside the outputs (`OUTPUT_BYTES`; no context
    recomputed), else the largest square tile that fits, at least `least_tile(context)`
    (`context`: the predictor's; 51, the shipped generator's with upscale's steps and gate, by
    default). A photo so large that no tile fits gets that least tile (the budget is exceeded by
    its outputs alone; `--max_pixels` bounds what serving accepts)."""
    from srgan_tf import config

    fixed, per_pixel = TILE_MEMORY["bfloat16" if precision == "bfloat16" else "float32"]
    room = (config.MEMORY_BUDGET_GB - fixed) * 2**30 - OUTPUT_BYTES * h * w
    area = room / per_pixel
    if h * w <= area:
        return max(h, w, MIN_SIDE)
    return max(least_tile(context), int(max(area, 0) ** 0.5))


def tile_problem(tile: int, context: int, whole: bool = True) -> str | None:
    """Why tiles of `tile` input pixels leave no core inside `context` pixels of context on
    each side, or None (0 is one whole pass, unless `whole` is False: a SavedModel always
    tiles): the one owner of this rule (the gate, the tiler and the export ask it)."""
    if tile < 0:
        return None  # sized for each image (`auto_tile`)
    if tile == 0:
        if whole:
            return None
        return (f"--tile=0 (whole images) cannot be exported: the SavedModel always runs in tiles, "
                f"so that a request's memory is bounded; pass a tile side of at least "
                f"{least_tile(context)}, or -1 for {DEFAULT_TILE}")  # fmt: skip
    if tile > 2 * context:
        return None
    return (f"--tile={tile} leaves no core inside the {context}-pixel context kept on each side; "
            f"pass at least {least_tile(context)}, or -1 (the default: sized by the memory budget)"
            + (", or 0 for whole images" if whole else ""))  # fmt: skip


def least_tile(context: int) -> int:
    """The smallest tile the command line accepts: its core at least half the tile, so an image
    larger than a tile costs at most `MAX_TILE_WORK` times one whole pass."""
    return 4 * context


def tile_cost_problem(tile: int, context: int) -> str | None:
    """Why tiles of `tile` pixels would spend most of their work on context (the command
    line's rule; `Tiler` itself only needs a core), or None."""
    if tile <= 0 or tile <= 2 * context or tile >= least_tile(context):
        return None
    core = tile - 2 * context
    return (f"--tile={tile} keeps cores of {core} pixel{'s' if core > 1 else ''} inside {context} pixels of context: on "
            f"an image larger than a tile that is {(tile / core) ** 2:.0f}x the work of one whole "
            f"pass; pass at least {least_tile(context)} (at most {MAX_TILE_WORK:g}x), or -1 (the "
            f"default: sized by the memory budget)")  # fmt: skip


def grid(length: int | tf.Tensor, tile: int, context: int) -> tf.Tensor:
    """The core's side along an axis of `length` input pixels: the whole axis when it fits in
    one tile (nothing to recompute), else the tile less its context on both sides."""
    return tf.where(length <= tile, tf.maximum(length, 1), tile - 2 * context)


def _box_forward(box, size, transform):
    """A box `(y0, y1, x0, x1)` in an image of `size` `(h, w)`, moved as
    `self_ensemble.forward(., transform)` moves the image; returns `(box, size)`."""
    (y0, y1, x0, x1), (h, w) = box, size
    transpose, flip_rows, flip_cols = transform
    if transpose:
        y0, y1, x0, x1, h, w = x0, x1, y0, y1, w, h
    if flip_rows:
        y0, y1 = h - y1, h - y0
    if flip_cols:
        x0, x1 = w - x1, w - x0
    return (y0, y1, x0, x1), (h, w)


def _strip_rows(budget: int, width):
    return tf.maximum(MIN_STRIP_ROWS, budget // tf.maximum(width, 1))


def _in_strips(rows, step, reach, height, run, scale):
    """Output rows `scale * [y0, y1)` (`rows = (y0, y1)`, input rows of an input `height`
    rows tall) computed `step` input rows at a time: `run(fa, fb)` gives the output of input
    rows `[fa, fb)`, which is each strip with `reach` rows of context above and below; only
    the strip's own rows are kept."""
    y0, y1 = rows
    out = tf.TensorArray(tf.float32, size=0, dynamic_size=True, infer_shape=False)
    for a in tf.range(y0, y1, step):
        tf.autograph.experimental.set_loop_options(parallel_iterations=1)
        b = tf.minimum(y1, a + step)
        fa, fb = tf.maximum(0, a - reach), tf.minimum(height, b + reach)
        out = out.write(out.size(), run(fa, fb)[scale * (a - fa) : scale * (b - fa)])
    return tf.ensure_shape(out.concat(), [None, None, 3])


class Tiler:
    """`(h, w, 3)` float32 in [-1, 1] -> `(4h, 4w, 3)`: the generator wrapped and followed as
    `post` says, tiled (see the module docstring).

    Args:
        generator: a `build_generator` model (built under the precision it should run in).
        post: the self-ensemble, steps and gate.
        strip_pixels, post_strip_pixels: features per tail strip, input pixels per post strip
            (default: `STRIP_PIXELS`, `POST_STRIP_PIXELS`).
    """

    def __init__(
        self,
        generator: keras.Model,
        post: PostProcessing = NONE,
        strip_pixels: int | None = None,
        post_strip_pixels: int | None = None,
    ) -> None:
        parts = trunk_tail.split(generator)
        self.reach = parts.reach
        self.post = post
        self.context = context_for(parts.reach, post)
        self.scale = SCALE
        self._transforms = self_ensemble.TRANSFORMS[: post.self_ensemble]
        self._strip_pixels = strip_pixels or STRIP_PIXELS
        self._post_strip_pixels = post_strip_pixels or POST_STRIP_PIXELS
        image = tf.TensorSpec([None, None, None, 3], tf.float32)
        features = tf.TensorSpec([None, None, None, parts.trunk.output.shape[-1]],
                                 parts.trunk.output.dtype)  # fmt: skip
        self._trunk = tf.function(lambda x: parts.trunk(x, training=False), input_signature=[image])
        self._tail = tf.function(
            lambda f: parts.tail(f, training=False), input_signature=[features]
        )
        self.stages = post.stages()
        hr = tf.TensorSpec([None, None, None, 3], tf.float32)
        self._post = tf.function(self._apply_stages, input_signature=[image, hr])

    def _apply_stages(self, lr, sr):
        for stage in self.stages:
            sr = tf.cast(stage([lr, sr]), tf.float32)
        return sr

    def __call__(
        self,
        lr: tf.Tensor,
        tile: int,
        out_dtype: tf.DType = tf.float32,
        on_tile: Callable[[], object] | None = None,
        alpha: tf.Tensor | None = None,
        gray: bool | tf.Tensor = False,
    ):
        """Super-resolves `lr` in tiles of `tile` input pixels a side (context included).

        Args:
            lr: `(h, w, 3)`, float32 in [-1, 1] or uint8 (then converted a tile at a time: no
                float copy of the image is made).
            tile: the tile side; `on_tile()` is called after each tile when running eagerly
                (a progress bar).
            out_dtype: float32 ([-1, 1]) or uint8 (rounded pixels).
            alpha: uint8 output only: an `(h, w, 1)` channel upscaled by bicubic in the same
                tiles and appended (a PNG's transparency).
            gray: uint8 output only (a bool, or a boolean tensor in a graph): the output's
                colour channels become their mean, as a gray photo comes back.

        Returns:
            `(4h, 4w, c)` of `out_dtype`, c = 3 (1 with `gray`), plus 1 with `alpha`. Eagerly a
            numpy array the tiles are written into; in a graph a tensor they update in place
            (`InplaceUpdate`): either way one copy of the output, not one per stage.

        Raises:
            ValueError: a tile too small for its context.
        """
        lr = tf.ensure_shape(lr, [None, None, 3])  # a decoded file's channels are unknown
        h, w = tf.shape(lr)[0], tf.shape(lr)[1]
        ph, pw = tf.maximum(0, MIN_SIDE - h), tf.maximum(0, MIN_SIDE - w)
        top, left = ph // 2, pw // 2
        pads = (top, left), (ph - top, pw - left)
        x = protocols.symmetric_pad(lr[None], *pads)[0]
        if alpha is not None:
            alpha = protocols.symmetric_pad(tf.ensure_shape(alpha, [None, None, 1])[None], *pads)[0]
        # An image that fits one tile needs no core (eagerly, where its size is known).
        fits = tf.executing_eagerly() and max(x.shape[0], x.shape[1]) <= tile
        problem = tile_problem(tile, self.context)  # (no `:=` here: AutoGraph cannot convert it)
        if problem and not fits:
            raise ValueError(problem)
        finish = _Finish(out_dtype, alpha, gray, self.scale)
        if tf.executing_eagerly():
            out = self._tiles_eager(x, tile, finish, on_tile)
        else:
            out = self._tiles_graph(x, tile, finish)
        s = self.scale
        return out[s * top : s * (top + h), s * left : s * (left + w)]

    def after(self, lr: tf.Tensor, sr: tf.Tensor) -> tf.Tensor:
        """The steps and the gate on a whole image `lr` (`(h, w, 3)`, at least `MIN_SIDE` a
        side) and its raw output `sr`, in strips (the memory of one strip, not of the image):
        evaluate's extra column and compare's extra panel, which have the raw output already."""
        if not self.stages:
            return sr
        h, w = tf.shape(lr)[0], tf.shape(lr)[1]
        return self._post_strips(lr, sr, (0, h, 0, w))

    def _tiles_eager(self, x, tile, finish, on_tile):
        """The tiles written one by one into a numpy buffer of the output (Python loops)."""
        h, w = int(x.shape[0]), int(x.shape[1])
        core_h, core_w = int(grid(h, tile, self.context)), int(grid(w, tile, self.context))
        s, out = self.scale, None
        for y in range(0, h, core_h):
            for x0 in range(0, w, core_w):
                core = (y, min(h, y + core_h), x0, min(w, x0 + core_w))
                piece = finish(self._tile(x, core, (h, w)), core).numpy()
                if out is None:
                    out = np.empty((s * h, s * w, piece.shape[-1]), piece.dtype)
                out[s * core[0] : s * core[1], s * core[2] : s * core[3]] = piece
                if on_tile is not None:
                    on_tile()
        return out

    def _tiles_graph(self, x, tile, finish):
        """The tiles in `tf.range` loops: each row of tiles assembled, then written into the
        output in place."""
        h, w = tf.shape(x)[0], tf.shape(x)[1]
        core_h, core_w = grid(h, tile, self.context), grid(w, tile, self.context)
        s = self.scale
        out = tf.zeros(tf.stack([s * h, s * w, finish.channels]), finish.dtype)
        for y in tf.range(0, h, core_h):
            # One tile at a time: a graph's while loop may otherwise run up to 10 iterations at
            # once, and how many depends on the machine's load, so the peak memory would.
            tf.autograph.experimental.set_loop_options(parallel_iterations=1)
            y1 = tf.minimum(h, y + core_h)
            cols = tf.TensorArray(finish.dtype, size=0, dynamic_size=True, infer_shape=False)
            for x0 in tf.range(0, w, core_w):
                tf.autograph.experimental.set_loop_options(parallel_iterations=1)
                core = (y, y1, x0, tf.minimum(w, x0 + core_w))
                piece = finish(self._tile(x, core, (h, w)), core)
                # Pieces of a row differ in width: stack them transposed, along axis 0.
                cols = cols.write(cols.size(), tf.transpose(piece, [1, 0, 2]))
            band = tf.transpose(cols.concat(), [1, 0, 2])
            # Written into the output's rows in place (the output is this loop's only user).
            out = tf.raw_ops.InplaceUpdate(x=out, i=tf.range(s * y, s * y1), v=band)
        return out

    def _tile(self, x, core, size):
        """The output of one core box `(y0, y1, x0, x1)` of the image `x` of `size`, float32."""
        (y0, y1, x0, x1), (h, w) = core, size
        c, m = self.context, self.post.margin
        ty0, ty1 = tf.maximum(0, y0 - c), tf.minimum(h, y1 + c)
        tx0, tx1 = tf.maximum(0, x0 - c), tf.minimum(w, x1 + c)
        lr = x[ty0:ty1, tx0:tx1]
        if lr.dtype == tf.uint8:  # a tile at a time: no float copy of the whole input
            lr = tf.cast(lr, tf.float32) / 127.5 - 1.0
        # What the steps and the gate read: the core and their margin, in tile coordinates.
        qy0, qy1 = tf.maximum(ty0, y0 - m) - ty0, tf.minimum(ty1, y1 + m) - ty0
        qx0, qx1 = tf.maximum(tx0, x0 - m) - tx0, tf.minimum(tx1, x1 + m) - tx0
        raw = self._raw(lr, (qy0, qy1, qx0, qx1))
        if not self.stages:
            return raw
        inner = (y0 - ty0 - qy0, y1 - ty0 - qy0, x0 - tx0 - qx0, x1 - tx0 - qx0)
        return self._post_strips(lr[qy0:qy1, qx0:qx1], raw, inner)

    def _raw(self, lr, box):
        """The generator's output (self-ensembled) over `box` of the tile `lr`, float32."""
        size = (tf.shape(lr)[0], tf.shape(lr)[1])
        total = None
        for t in self._transforms:
            features = self._trunk(self_ensemble.forward(lr[None], t))
            moved, _ = _box_forward(box, size, t)
            sr = self_ensemble.inverse(self._tail_strips(features, moved)[None], t)[0]
            total = sr if total is None else total + sr
        return total / len(self._transforms) if len(self._transforms) > 1 else total

    def _tail_strips(self, features, box):
        """The tail's output over `box` of `features` (`(1, H, W, c)`), in strips of rows."""
        (y0, y1, x0, x1), r, s = box, self.reach.tail, self.scale
        height, width = tf.shape(features)[1], tf.shape(features)[2]
        fx0, fx1 = tf.maximum(0, x0 - r), tf.minimum(width, x1 + r)

        def run(fa, fb):
            return self._tail(features[:, fa:fb, fx0:fx1])[0][:, s * (x0 - fx0) : s * (x1 - fx0)]

        step = _strip_rows(self._strip_pixels, fx1 - fx0)
        return _in_strips((y0, y1), step, r, height, run, s)

    def _post_strips(self, lr, sr, box):
        """The steps and the gate over `box` of `lr` and its raw output `sr`, in strips."""
        (y0, y1, x0, x1), m, s = box, self.post.margin, self.scale

        def run(fa, fb):
            return self._post(lr[None, fa:fb], sr[None, s * fa : s * fb])[0][:, s * x0 : s * x1]

        step = _strip_rows(self._post_strip_pixels, tf.shape(lr)[1])
        return _in_strips((y0, y1), step, m, tf.shape(lr)[0], run, s)


class _Finish:
    """What a tile's float32 output becomes in the result: rounded to uint8, its colours
    averaged to gray, its alpha channel (upscaled by bicubic over the same core) appended."""

    def __init__(self, dtype, alpha, gray, scale):
        if dtype != tf.uint8 and (alpha is not None or gray is not False):
            raise ValueError("alpha and gray outputs are uint8 (a served or written file)")
        self.dtype, self.alpha, self.gray, self.scale = dtype, alpha, gray, scale
        self._bicubic = BicubicUp(scale, channels=1) if alpha is not None else None

    @property
    def channels(self):
        """The output's channels: 3, or 1 gray; one more with alpha (a tensor when `gray` is)."""
        colour = tf.where(self.gray, 1, 3) if isinstance(self.gray, tf.Tensor) else (
            1 if self.gray else 3)  # fmt: skip
        return colour + (1 if self.alpha is not None else 0)

    def __call__(self, piece, core):
        if self.dtype != tf.uint8:
            return piece
        out = tf.cast(tf.clip_by_value(tf.round((piece + 1.0) * 127.5), 0, 255), tf.uint8)
        if self.gray is not False:
            mean = tf.reduce_mean(tf.cast(out, tf.float32), -1, keepdims=True)
            gray = tf.cast(tf.round(mean), tf.uint8)
            out = tf.cond(self.gray, lambda: gray, lambda: out) if isinstance(
                self.gray, tf.Tensor) else gray  # fmt: skip
        if self.alpha is None:
            return out
        return tf.concat([out, self._alpha(core)], -1)

    def _alpha(self, core):
        """The alpha channel's bicubic upscale over `core`: computed on the core and 2 pixels
        around it (the cubic's reach), so it equals the whole image's."""
        (y0, y1, x0, x1), s = core, self.scale
        h, w = tf.shape(self.alpha)[0], tf.shape(self.alpha)[1]
        ay0, ay1 = tf.maximum(0, y0 - 2), tf.minimum(h, y1 + 2)
        ax0, ax1 = tf.maximum(0, x0 - 2), tf.minimum(w, x1 + 2)
        a = tf.cast(self.alpha[None, ay0:ay1, ax0:ax1], tf.float32)
        up = self._bicubic(a)[0, s * (y0 - ay0) : s * (y1 - ay0), s * (x0 - ax0) : s * (x1 - ax0)]
        return tf.cast(tf.clip_by_value(tf.round(up), 0.0, 255.0), tf.uint8)
