"""Whether tiles sized by memory (`--tile=-1`) change upscale's pixels: on a 1020x678 centre
crop of each validation photo of the photo corpus, upscale's default path with one tile (what
`-1` gives that size) against the fixed tiles of 512 it used before, per precision: how many
uint8 values differ and by how much.

    python bench/tile_identity.py [--precisions=float32,bfloat16] [--save=tile_identity]

Quality, not speed: it may run beside other work. The last line is one JSON object.
"""

import common


def main(argv=None):
    ap = common.parser(__doc__)
    ap.add_argument("--precisions", default="float32,bfloat16")
    ap.add_argument("--width", type=int, default=1020)
    ap.add_argument("--height", type=int, default=678)
    args = ap.parse_args(argv)
    import numpy as np

    from srgan_tf.api import Upscaler
    from srgan_tf.data import images
    from srgan_tf.inference import tiling_core

    paths = common.validation_photos()
    w, h = args.width, args.height
    result = {"size": [w, h], "images": [p.name for p in paths], "rows": {}}
    for precision in args.precisions.split(","):
        auto = Upscaler.from_pretrained("upscale", precision=precision)
        fixed = Upscaler.from_pretrained("upscale", precision=precision, tile=512)
        tile = tiling_core.auto_tile(h, w, precision, auto._predict.context)
        values = differing = largest = 0
        for path in paths:
            rgb, _ = images.read_image(path)
            y, x = (rgb.shape[0] - h) // 2, (rgb.shape[1] - w) // 2
            crop = rgb[y : y + h, x : x + w]
            a, b = auto.upscale(crop).astype(int), fixed.upscale(crop).astype(int)
            values += a.size
            differing += int((a != b).sum())
            largest = max(largest, int(np.abs(a - b).max()))
        result["rows"][precision] = {"auto_tile": tile, "values": values,
                                     "differing": differing, "largest_difference": largest}  # fmt: skip
        print(f"{precision}: tile {tile} against 512: {differing} of {values} values differ "
              f"(largest {largest} levels)", flush=True)  # fmt: skip
    common.report(result, args.save)


if __name__ == "__main__":
    main()
