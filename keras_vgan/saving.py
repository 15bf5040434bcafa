"""Saving and loading a trained `VideoGAN`: one .keras file, written atomically.

A run directory (`keras-vgan train`'s output) holds the model as
`model.keras`; every command that takes a model accepts the file or the
directory.

Example:
>>> save_model(gan, "runs/demo/model.keras")  # doctest: +SKIP
>>> gan = load_video_gan("runs/demo")  # doctest: +SKIP
"""

import json
import os

import keras

from keras_vgan.atomic import atomic_path

MODEL_FILENAME = "model.keras"
# A conditional run's classes by label (label i is class_names[i]), beside its model.keras.
CLASS_NAMES_FILENAME = "class_names.json"


def save_model(gan, path):
    """`gan.save(path)`, atomically: a crash mid-write leaves the previous file intact.

    Example:
    >>> save_model(gan, "runs/demo/model.keras")  # doctest: +SKIP
    'runs/demo/model.keras'
    """
    with atomic_path(path) as temporary:
        os.remove(temporary)  # Keras refuses to overwrite without asking; the name is all we need.
        gan.save(temporary)
    return path


def resolve_model_path(path):
    """`path` if it is a .keras file, or `path/model.keras` for a run directory.

    Example:
    >>> resolve_model_path("runs/quickstart")  # doctest: +SKIP
    'runs/quickstart/model.keras'
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        candidate = os.path.join(path, MODEL_FILENAME)
        if not os.path.isfile(candidate):
            raise FileNotFoundError(f"{path!r} holds no {MODEL_FILENAME}; expected a run directory of a "
                                    "finished run or a .keras file")
        return candidate
    if not os.path.exists(path):
        raise FileNotFoundError(f"model {path!r} does not exist; expected a .keras file or a run directory")
    if not path.endswith(".keras"):
        raise ValueError(f"model {path!r} is not a .keras file; expected a .keras file or a run directory")
    return path


def load_video_gan(path):
    """The `VideoGAN` saved at `path`: a .keras file, or a run directory holding model.keras.

    A `TranslationGAN` (a frame predictor) comes back as one: check with `isinstance` where only one kind will do.

    Raises FileNotFoundError when there is no model there, and ValueError when
    the file is not a Keras model or not a keras_vgan VideoGAN.

    Example:
    >>> gan = load_video_gan("runs/quickstart")  # doctest: +SKIP
    >>> gan.generate(4, seed=0).shape  # doctest: +SKIP
    (4, 16, 32, 32, 1)
    """
    import keras_vgan.models  # noqa: F401  (registers VideoGAN for deserialization)
    # And TranslationGAN and the predictors' layers (FutureSlots), which keras_vgan.models does not import.
    import keras_vgan.models.predictors  # noqa: F401
    import keras_vgan.models.translation  # noqa: F401

    model_path = resolve_model_path(path)
    try:
        model = keras.models.load_model(model_path)
    except Exception as error:  # Keras raises many kinds for a damaged or foreign file.
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"could not load {model_path!r} as a Keras model: {message}") from error
    if not callable(getattr(model, "generator_for_sampling", None)) or not hasattr(model, "latent_dim"):
        raise ValueError(f"{model_path!r} holds a {type(model).__name__}, not a keras_vgan VideoGAN")
    return model


def read_class_names(path):
    """The class names saved beside the model at `path` (a run directory or a .keras file), or None.

    `keras-vgan train --conditional` writes them as class_names.json in the
    run directory; a model without one (an unconditional run, a bare .keras
    file) gives None. A damaged file is a ValueError naming it.

    Example:
    >>> read_class_names("runs/digits")  # doctest: +SKIP
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
    """
    path = os.fspath(path)
    directory = path if os.path.isdir(path) else os.path.dirname(path)
    names_path = os.path.join(directory, CLASS_NAMES_FILENAME)
    if not os.path.isfile(names_path):
        return None
    try:
        with open(names_path) as file:
            names = json.load(file)
    except (OSError, ValueError) as error:
        raise ValueError(f"could not read {names_path!r}: {error}; expected a JSON list of class names") from error
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"{names_path!r} holds {names!r}; expected a JSON list of class names (strings)")
    return names
