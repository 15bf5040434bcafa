"""Finding a source's files: extensions, globs, directory walks, frame order, class folders."""

import os
import re

VIDEO_EXTENSIONS = (
    ".mp4", ".m4v", ".mov", ".avi", ".webm", ".mkv", ".mpg", ".mpeg", ".wmv", ".flv",
    ".ogv", ".3gp",
)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")

GLOB_CHARACTERS = "*?["


def is_glob(text):
    """True when `text` holds glob wildcards (and so names files by pattern)."""
    return any(character in str(text) for character in GLOB_CHARACTERS)


def walk_directory(root):
    """Every (folder, sorted file names) under `root`, recursively, plus the unreadable folders.

    Returns `(listing, unreadable)` where `unreadable` maps folder → reason; a
    folder that cannot be listed is reported there instead of stopping the walk.
    """
    unreadable = {}

    def on_error(error):
        unreadable[getattr(error, "filename", None) or str(error)] = (
            f"{type(error).__name__}: {error.strerror or error}")

    listing = []
    for folder, subfolders, names in os.walk(root, onerror=on_error, followlinks=True):
        subfolders.sort()
        listing.append((folder, sorted(names)))
    return listing, unreadable


def natural_sort_key(name):
    """Sort key that puts frame_2 before frame_10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def class_labels(class_of_item, class_names=None):
    """Map each item's class name to an int label.

    Returns `(labels, class_names)`; the classes are sorted unless
    `class_names` fixes the order (then an unknown class is a ValueError).
    """
    if class_names is None:
        class_names = sorted(set(class_of_item))
    else:
        class_names = [str(name) for name in class_names]
        unknown = sorted(set(class_of_item) - set(class_names))
        if unknown:
            raise ValueError(f"class folder(s) {unknown[:5]} are not in the class_names given "
                             f"({class_names[:10]}{'...' if len(class_names) > 10 else ''})")
    index = {name: i for i, name in enumerate(class_names)}
    return [index[name] for name in class_of_item], list(class_names)


def parent_folder_labels(paths, class_names=None):
    """Labels from each path's parent folder name (UCF-101's `class/video.avi`): `(labels, class_names)`."""
    classes = [os.path.basename(os.path.dirname(os.path.abspath(path))) for path in paths]
    return class_labels(classes, class_names)
