"""tensorlayer and TensorLayerX find their callers' frames with `inspect.stack()`, in every layer
constructor. `inspect.stack()` also reads the source file and module of every frame on the stack,
which under pytest (deep stacks, thousands of modules loaded) costs about half a second a layer:
most of the parity tests' time, for a VGG's 20 layers. `use_plain_frames(package)` gives that
package's modules an `inspect` whose `stack()` returns the same frames without that lookup
(they only ever take `[i][0]`, the frame); nothing they compute changes.
"""

import inspect
import sys
import types


def _frames(context=1):
    """`inspect.stack()`'s frames, as 1-tuples `(frame,)`, from the caller outwards."""
    out, frame = [], sys._getframe(1)
    while frame is not None:
        out.append((frame,))
        frame = frame.f_back
    return out


def use_plain_frames(package):
    """Every loaded module of `package` that imported `inspect` gets the light `stack()`."""
    light = types.ModuleType("inspect")
    light.__dict__.update(vars(inspect))
    light.stack = _frames
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == package and getattr(module, "inspect", None) is inspect:
            module.inspect = light
