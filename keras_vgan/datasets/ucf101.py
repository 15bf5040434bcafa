"""UCF-101 as distributed: the `UCF-101/<Class>/v_<Class>_gXX_cYY.avi` tree and its official splits.

The split archive (`UCF101TrainTestSplits-RecognitionTask.zip`) extracts to
`ucfTrainTestlist/`, which holds:

* `classInd.txt`: `1 ApplyEyeMakeup` ... `101 YoYo`, a 1-based index and a class name per line;
* `trainlist01.txt` ... `trainlist03.txt`: `ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1`,
  a path relative to `UCF-101/` and the video's 1-based class index;
* `testlist01.txt` ... `testlist03.txt`: the path only; its folder names the class.

The files have Windows line endings; both kinds are read. Labels are 0-based
(`class_names[label]` is the video's class) and `class_names` is every class
of `classInd.txt` in its order, also those a subset has no video of, so that
train and test shards agree on what each label means.

Example:
>>> paths, labels, class_names = read_split("ucfTrainTestlist", split=1, subset="test")  # doctest: +SKIP
>>> paths[0], class_names[labels[0]], len(class_names)  # doctest: +SKIP
('ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi', 'ApplyEyeMakeup', 101)
"""

import os
import warnings

from keras_vgan.datasets.skipping import SkippedItemWarning
from keras_vgan.datasets.video_files import from_video_files
from keras_vgan.validation import check_choice, check_positive_int

SPLIT_DIR_NAME = "ucfTrainTestlist"
CLASS_INDEX_NAME = "classInd.txt"
SUBSETS = ("train", "test")
OFFICIAL_SPLITS = (1, 2, 3)
MISSING_NAMES_SHOWN = 3  # missing videos named in the warning; the count says how many there are


def split_file_name(split, subset):
    """`trainlist01.txt`, `testlist02.txt`, ...: the official name of one split's list."""
    return f"{subset}list{split:02d}.txt"


def _listed_lines(path, what):
    """(line number, stripped text) of each non-blank line of a split file.

    A missing file is a ValueError naming it and what it should hold.
    """
    if not os.path.isfile(path):
        raise ValueError(f"UCF-101 split file {path!r} does not exist; expected {what} there "
                         f"(from UCF101TrainTestSplits-RecognitionTask.zip)")
    # Text mode reads "\r\n" as a line end too; "utf-8-sig" drops a byte-order mark an editor may add.
    with open(path, encoding="utf-8-sig") as handle:
        return [(number, line.strip()) for number, line in enumerate(handle, 1) if line.strip()]


def _malformed(path, number, line, expected):
    return ValueError(f"{path}, line {number}: {line!r} is not {expected}")


def read_class_index(path):
    """The class names of a `classInd.txt`, in index order: the class of index i is at position i - 1.

    Indices must run 1, 2, ... N without gaps or repeats, each naming one class.
    """
    expected = "a line like '1 ApplyEyeMakeup' (class index, class name)"
    by_index = {}
    for number, line in _listed_lines(path, "lines like '1 ApplyEyeMakeup' (class index, class name)"):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise _malformed(path, number, line, expected)
        index, name = int(parts[0]), parts[1]
        if index in by_index:
            raise ValueError(f"{path}, line {number}: class index {index} is given twice "
                             f"({by_index[index]!r} and {name!r})")
        by_index[index] = name
    if not by_index:
        raise ValueError(f"{path!r} lists no classes; expected lines like '1 ApplyEyeMakeup'")
    gaps = sorted(set(range(1, len(by_index) + 1)) - set(by_index))
    if gaps:
        raise ValueError(f"{path!r}: class indices must run 1..{len(by_index)}, but {gaps[0]} is missing "
                         f"(indices given: {sorted(by_index)[:5]}...)")
    class_names = [by_index[index] for index in range(1, len(by_index) + 1)]
    repeated = sorted({name for name in class_names if class_names.count(name) > 1})
    if repeated:
        raise ValueError(f"{path!r}: class {repeated[0]!r} has more than one index")
    return class_names


def read_split(split_dir, split=1, subset="train"):
    """`(relative paths, labels, class_names)` of one official split list under `split_dir`.

    `split` picks `trainlist0{split}.txt` / `testlist0{split}.txt`, `subset`
    "train" or "test". Paths are relative to the `UCF-101/` folder, with "/";
    labels are 0-based indices into `class_names` (all of `classInd.txt`).
    A train line's class index must name its folder's class (a test line may
    omit it, as the official ones do). Any line that is not so is a
    ValueError naming the file, the line number and the line.

    Example:
    >>> paths, labels, class_names = read_split("ucfTrainTestlist", 1, "train")  # doctest: +SKIP
    >>> paths[0], labels[0]  # doctest: +SKIP
    ('ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi', 0)
    """
    split = check_positive_int("split", split)
    check_choice("subset", subset, SUBSETS)
    split_dir = os.fspath(split_dir)
    class_index_path = os.path.join(split_dir, CLASS_INDEX_NAME)
    class_names = read_class_index(class_index_path)
    label_of_class = {name: label for label, name in enumerate(class_names)}

    path = os.path.join(split_dir, split_file_name(split, subset))
    with_index = subset == "train"
    example = "'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1' (video path, class index)" if with_index \
        else "'ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi' (video path)"
    paths, labels = [], []
    for number, line in _listed_lines(path, f"lines like {example}"):
        parts = line.split()
        pieces = parts[0].replace("\\", "/").split("/")
        if len(parts) not in ((2,) if with_index else (1, 2)) or len(pieces) != 2 or not all(pieces):
            raise _malformed(path, number, line, f"a line like {example}")
        folder = pieces[0]
        if folder not in label_of_class:
            raise ValueError(f"{path}, line {number}: class folder {folder!r} is not in {class_index_path} "
                             f"(its {len(class_names)} classes: {', '.join(class_names[:5])}"
                             f"{', ...' if len(class_names) > 5 else ''})")
        if len(parts) == 2:
            _check_class_index(parts[1], folder, class_names, f"{path}, line {number}")
        paths.append("/".join(pieces))
        labels.append(label_of_class[folder])
    if not paths:
        raise ValueError(f"{path!r} lists no videos; expected lines like {example}")
    return paths, labels, class_names


def _check_class_index(text, folder, class_names, where):
    """A split line's 1-based class index must be in range and name the class its folder is."""
    if not text.isdigit():
        raise ValueError(f"{where}: class index {text!r} is not a whole number 1..{len(class_names)}")
    index = int(text)
    if not 1 <= index <= len(class_names):
        raise ValueError(f"{where}: class index {index} is out of range; classInd.txt has 1..{len(class_names)}")
    # Only the folder is compared: the official file names do not always spell the class as the
    # folder does (HandstandPushups/v_HandStandPushups_g01_c01.avi).
    if class_names[index - 1] != folder:
        raise ValueError(f"{where}: class index {index} is {class_names[index - 1]!r} in classInd.txt, "
                         f"but the video is in folder {folder!r}")


def find_split_dir(root):
    """The `ucfTrainTestlist/` folder inside `root` or beside it, where the two archives extract to."""
    root = os.path.abspath(os.fspath(root))
    candidates = [os.path.join(root, SPLIT_DIR_NAME), os.path.join(os.path.dirname(root), SPLIT_DIR_NAME)]
    for candidate in candidates:
        if os.path.isdir(candidate):
            return candidate
    raise ValueError(f"no {SPLIT_DIR_NAME}/ folder in or beside the UCF-101 folder (looked for "
                     f"{candidates[0]} and {candidates[1]}); extract UCF101TrainTestSplits-RecognitionTask.zip "
                     f"there or give its folder as split_dir (--split-dir)")


def listed_videos(root, split_dir=None, split=1, subset="train"):
    """`(video paths, relative paths of missing videos, class_names)` of one split under `root`.

    The videos a split lists but `root` lacks are left out with one
    `SkippedItemWarning` that counts them and names the first few; when none
    is there it is a ValueError (`root` is then likely the wrong folder).
    """
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise ValueError(f"UCF-101 folder {root!r} does not exist or is not a folder; expected the "
                         f"extracted UCF-101/ (UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi, ...)")
    split_dir = find_split_dir(root) if split_dir is None else os.fspath(split_dir)
    relative_paths, _labels, class_names = read_split(split_dir, split, subset)
    found, missing = [], []
    for relative in relative_paths:
        path = os.path.join(root, *relative.split("/"))
        if os.path.isfile(path):
            found.append(path)
        else:
            missing.append(relative)
    list_name = split_file_name(split, subset)
    first = ", ".join(missing[:MISSING_NAMES_SHOWN]) + (", ..." if len(missing) > MISSING_NAMES_SHOWN else "")
    if not found:
        raise ValueError(f"UCF-101 {list_name}: none of its {len(relative_paths)} listed videos is under "
                         f"{root} (first: {first}); expected the extracted UCF-101/ folder")
    if missing:
        warnings.warn(f"UCF-101 {list_name}: {len(missing)} of {len(relative_paths)} listed videos are "
                      f"missing under {root} (first: {first}); skipped", SkippedItemWarning, stacklevel=2)
    return found, missing, class_names


def from_ucf101(root, split_dir=None, split=1, subset="train", frames=16, height=64, width=64, channels=3,
                **options):
    """`(clip, label)` pairs from one official UCF-101 split: float32 clips in [-1, 1], int32 labels.

    `root` is the extracted `UCF-101/` folder; `split_dir` the folder of
    `classInd.txt` and the split lists (default: `ucfTrainTestlist/` in or
    beside `root`); `split` 1, 2 or 3 and `subset` "train" or "test" pick
    the list. Labels index `dataset.class_names`, all the classes of
    `classInd.txt` in its order. `options` go to `from_video_files`
    (`clips_per_video`, `frame_step`, `fps`, `crop`, `clip_sampling`,
    `shuffle`, `seed`, ...), which decodes the videos; unreadable videos are
    skipped there, listed but missing ones here (one warning with the count).

    Besides `class_names`, `files` and `skip_tracker` (from
    `from_video_files`), the dataset has `missing_videos`: the listed paths
    that `root` lacks.

    Example:
    >>> train = from_ucf101("data/UCF-101", split=1, subset="train", frames=16,
    ...                     height=64, width=64)  # doctest: +SKIP
    >>> train.class_names[0], len(train.class_names)  # doctest: +SKIP
    ('ApplyEyeMakeup', 101)
    """
    paths, missing, class_names = listed_videos(root, split_dir, split, subset)
    # The split's own labels need not be passed: every listed folder is a class of classInd.txt
    # (read_split checked), so labelling by parent folder in classInd's order gives the same labels.
    dataset = from_video_files(paths, frames=frames, height=height, width=width, channels=channels,
                               labels=True, class_names=class_names, **options)
    dataset.missing_videos = missing
    summary = dataset.data_summary
    summary.source = os.fspath(root)
    summary.kind = f"UCF-101 split {split}, {subset}: the videos {split_file_name(split, subset)} lists"
    return dataset
