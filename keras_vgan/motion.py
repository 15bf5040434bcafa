"""Global (camera) motion between consecutive frames: estimated, then undone by warping.

A temporal term that compares raw frame differences asks a restorer's
errors to stay put on the screen; under a moving camera, texture that moves
with the scene then counts as flicker. Compensating the camera's motion
first lets it count only what the motion does not explain, as the warping
error of `keras_vgan.metrics.temporal_consistency` does with optical flow.

The motion is one affine map per frame pair (pan, zoom, rotation: what a
camera does), found by Lucas–Kanade's Gauss–Newton iterations on blurred
frames (Baker & Matthews 2004, the forwards-additive form). It is cheap, its maps
are constants to the loss (no gradient flows through the estimate), and it
runs in the training graph on any device. Scenes whose objects move on their own
get the affine map that best explains them, which is the camera's where the
background dominates.

Example:
>>> import tensorflow as tf
>>> frames = tf.random.stateless_uniform([1, 2, 24, 24, 1], seed=[1, 2])
>>> maps = estimate_camera_motion(frames)  # frame t+1 -> frame t, one per pair
>>> maps.shape
TensorShape([1, 8])
>>> warp_frames(frames[:, 0], maps).shape
TensorShape([1, 24, 24, 1])
"""

import tensorflow as tf

def _blur_radius(sigma):
    return max(1, int(round(2.5 * sigma)))


def _gaussian_kernel(sigma):
    radius = _blur_radius(sigma)
    offsets = tf.range(-radius, radius + 1, dtype=tf.float32)
    weights = tf.exp(-0.5 * (offsets / sigma) ** 2)
    return weights / tf.reduce_sum(weights)


def _blur(images, sigma):
    """Separable Gaussian blur of (N, H, W, 1) images; it widens the range where the linearisation holds."""
    kernel = _gaussian_kernel(sigma)
    size = int(kernel.shape[0])
    images = tf.nn.conv2d(images, tf.reshape(kernel, [size, 1, 1, 1]), strides=1, padding="SAME")
    return tf.nn.conv2d(images, tf.reshape(kernel, [1, size, 1, 1]), strides=1, padding="SAME")


def warp_frames(frames, maps, fill_mode="REFLECT"):
    """Frames (N, H, W, C) resampled (bilinear) by affine maps (N, 8) from output to source pixel coordinates.

    The maps are `ImageProjectiveTransformV3`'s: output pixel (x, y) takes
    the source at (a0·x + a1·y + a2, b0·x + b1·y + b2) (the last two
    entries 0). Gradients flow to `frames`, not to `maps`.
    """
    frames = tf.convert_to_tensor(frames)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=frames, transforms=tf.cast(maps, tf.float32), output_shape=tf.shape(frames)[1:3],
        fill_value=0.0, interpolation="BILINEAR", fill_mode=fill_mode)


def _maps_from_parameters(parameters, height, width):
    """Affine parameters in centred, scaled coordinates (N, 6) -> `warp_frames` maps in pixels (N, 8)."""
    centre_x, centre_y = (width - 1) / 2.0, (height - 1) / 2.0
    scale = float(max(height, width)) / 2.0
    shift_x, x_by_x, x_by_y, shift_y, y_by_x, y_by_y = tf.unstack(parameters, axis=1)
    # source = pixel + shift + M · (pixel − centre) / scale, written as one affine map of the pixel.
    a0, a1 = 1.0 + x_by_x / scale, x_by_y / scale
    b0, b1 = y_by_x / scale, 1.0 + y_by_y / scale
    a2 = shift_x - (x_by_x * centre_x + x_by_y * centre_y) / scale
    b2 = shift_y - (y_by_x * centre_x + y_by_y * centre_y) / scale
    zeros = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def estimate_affine_motion(source, target, iterations=4, sigma=1.5, margin=3):
    """Affine maps (N, 8) under which `warp_frames(source, maps)` best matches `target`; both (N, H, W, C).

    Least squares over the frame less a `margin` (and less the blur's reach,
    whose zero padding does not move with the scene), after a Gaussian blur of
    `sigma` pixels; `iterations` Gauss–Newton steps from the identity. Channels
    are averaged first. Motions up to a few pixels per frame are found; the
    estimate does not carry gradients.
    """
    source = tf.stop_gradient(tf.reduce_mean(tf.cast(source, tf.float32), axis=-1, keepdims=True))
    target = tf.stop_gradient(tf.reduce_mean(tf.cast(target, tf.float32), axis=-1, keepdims=True))
    height, width = int(source.shape[1]), int(source.shape[2])
    margin += _blur_radius(sigma)
    if height <= 2 * margin + 2 or width <= 2 * margin + 2:
        raise ValueError(f"frames of {height}x{width} are too small to estimate motion with a border of "
                         f"{margin} pixels left out; expected each side > {2 * margin + 2}")
    source, target = _blur(source, sigma), _blur(target, sigma)
    scale = float(max(height, width)) / 2.0
    rows, columns = tf.meshgrid(tf.range(height, dtype=tf.float32), tf.range(width, dtype=tf.float32),
                                indexing="ij")
    x = ((columns - (width - 1) / 2.0) / scale)[None, :, :, None]
    y = ((rows - (height - 1) / 2.0) / scale)[None, :, :, None]
    inside = tf.pad(tf.ones([height - 2 * margin, width - 2 * margin]), [[margin, margin], [margin, margin]])
    inside = inside[None, :, :, None]
    count = tf.shape(source)[0]
    parameters = tf.zeros([count, 6])
    for _ in range(iterations):
        maps = _maps_from_parameters(parameters, height, width)
        warped = warp_frames(source, maps)
        # Central differences of the warped source: its gradient where the map sends each pixel.
        gradient_x = (tf.roll(warped, -1, axis=2) - tf.roll(warped, 1, axis=2)) / 2.0
        gradient_y = (tf.roll(warped, -1, axis=1) - tf.roll(warped, 1, axis=1)) / 2.0
        # A pixel whose source fell outside the frame was reflected, not seen: leave it out.
        seen = warp_frames(tf.ones_like(source), maps, fill_mode="CONSTANT")
        weight = inside * tf.cast(seen > 0.999, tf.float32)
        jacobian = tf.concat([gradient_x, gradient_x * x, gradient_x * y,
                              gradient_y, gradient_y * x, gradient_y * y], axis=-1)
        jacobian = tf.reshape(jacobian * tf.sqrt(weight), [count, -1, 6])
        residual = tf.reshape((warped - target) * tf.sqrt(weight), [count, -1, 1])
        hessian = tf.matmul(jacobian, jacobian, transpose_a=True)
        # A little damping keeps a textureless pair (a flat sky) at the identity instead of a singular solve.
        hessian += 1e-4 * tf.eye(6, batch_shape=[count]) * (1.0 + tf.linalg.trace(hessian)[:, None, None])
        step = tf.linalg.solve(hessian, -tf.matmul(jacobian, residual, transpose_a=True))
        parameters += step[:, :, 0]
    return _maps_from_parameters(parameters, height, width)


def frame_pairs(clips):
    """Consecutive frames of clips (B, T, H, W, C) as (earlier, later), each (B·(T−1), H, W, C), clip by clip."""
    clips = tf.convert_to_tensor(clips)
    return (tf.reshape(clips[:, :-1], [-1, *clips.shape[2:]]), tf.reshape(clips[:, 1:], [-1, *clips.shape[2:]]))


def estimate_camera_motion(clips, **options):
    """One affine map per consecutive frame pair of clips (B, T, H, W, C): (B·(T−1), 8), frame t+1 → frame t.

    `warp_frames(clips[:, t], maps)` then lines frame t up with frame t+1
    (pairs ordered clip by clip, as `frame_pairs` gives them). Options go to
    `estimate_affine_motion`.
    """
    clips = tf.convert_to_tensor(clips)
    if int(clips.shape[1]) < 2:
        return tf.zeros([0, 8])
    return estimate_affine_motion(*frame_pairs(clips), **options)
