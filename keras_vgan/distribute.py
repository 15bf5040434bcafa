"""Choosing a `tf.distribute` strategy, and what each process of a job is.

`keras-vgan train --strategy NAME` and `train(config, run_dir, strategy=...)`
take one of `STRATEGIES`:

* "default": one device (TensorFlow's default strategy);
* "mirrored": `MirroredStrategy` over this machine's GPUs;
* "multi-worker": `MultiWorkerMirroredStrategy` over the cluster that the
  `TF_CONFIG` environment variable describes (one process per machine);
* "tpu": `TPUStrategy` on the TPU that is configured (`TPU_NAME`, or a TPU VM's
  local chips);
* "auto": TPU when one is configured, else multi-worker when `TF_CONFIG` names
  more than one task, else mirrored on several local GPUs, else the default.

The engine is TensorFlow's own; this module only picks it and answers two
questions the training loop asks: which process writes the run's files (the
chief, `WorkerRole.is_chief`) and which part of the data it reads
(`WorkerRole.index` of `WorkerRole.count`).
"""

import glob
import json
import os
from typing import NamedTuple

from keras_vgan.validation import check_choice

STRATEGIES = ("auto", "default", "mirrored", "multi-worker", "tpu")


class WorkerRole(NamedTuple):
    """This process in its job: worker `index` of `count`; the chief writes the run's files."""

    index: int = 0
    count: int = 1
    is_chief: bool = True


def read_tf_config(environ=None):
    """The cluster `TF_CONFIG` describes, checked: ValueError naming what is wrong.

    Returns `(cluster, task_type, task_index)` where `cluster` maps a task type
    ("chief", "worker") to its list of "host:port" addresses, or None when
    `TF_CONFIG` is unset or empty.

    Example:
    >>> read_tf_config({"TF_CONFIG": '{"cluster": {"worker": ["a:1", "b:2"]}, '
    ...                              '"task": {"type": "worker", "index": 1}}'})
    ({'worker': ['a:1', 'b:2']}, 'worker', 1)
    >>> read_tf_config({}) is None
    True
    """
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
    except ValueError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error}); expected e.g. "
                         '{"cluster": {"worker": ["host1:port", "host2:port"]}, '
                         '"task": {"type": "worker", "index": 0}}') from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster"), dict):
        raise ValueError(f"TF_CONFIG={text!r} is not valid; expected an object with a \"cluster\" object")
    cluster = config["cluster"]
    for task_type, addresses in cluster.items():
        if (not isinstance(addresses, list) or not addresses
                or not all(isinstance(a, str) and ":" in a for a in addresses)):
            raise ValueError(f"TF_CONFIG cluster[{task_type!r}]={addresses!r} is not valid; expected a non-empty "
                             f"list of \"host:port\" addresses")
    if not any(name in cluster for name in ("chief", "worker")):
        raise ValueError(f"TF_CONFIG cluster has tasks {sorted(cluster)}; expected \"worker\" (and optionally "
                         f"\"chief\") addresses")
    task = config.get("task")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise ValueError(f"TF_CONFIG task={task!r} is not valid; expected {{\"type\": \"worker\", \"index\": N}}")
    task_type, task_index = task["type"], task["index"]
    if task_type not in cluster:
        raise ValueError(f"TF_CONFIG task type {task_type!r} is not in its cluster; expected one of {sorted(cluster)}")
    if isinstance(task_index, bool) or not isinstance(task_index, int) or not (
            0 <= task_index < len(cluster[task_type])):
        raise ValueError(f"TF_CONFIG task index {task_index!r} is not valid; expected 0 to "
                         f"{len(cluster[task_type]) - 1} for the {len(cluster[task_type])} {task_type!r} tasks")
    return cluster, task_type, task_index


def _training_tasks(cluster):
    # Evaluators and parameter servers take no part in synchronous training.
    return sum(len(cluster.get(name, ())) for name in ("chief", "worker"))


def tpu_configured(environ=None):
    """Whether a TPU is set up for this process: `TPU_NAME` names one, or this is a TPU VM.

    Looked up without asking TensorFlow, whose TPU resolver would wait on a
    cloud metadata server that a machine outside Google Cloud does not have.
    """
    environ = os.environ if environ is None else environ
    return bool(environ.get("TPU_NAME", "").strip()) or bool(glob.glob("/dev/accel[0-9]*")) or bool(
        glob.glob("/dev/vfio/[0-9]*"))


def resolve_strategy_name(name="auto", environ=None):
    """The strategy `name` stands for here: one of `STRATEGIES` other than "auto".

    Checks what the choice needs (a TPU, a valid `TF_CONFIG`) and raises one
    ValueError naming what is missing. Looks at the environment and the local
    GPUs only; builds nothing.

    Example:
    >>> resolve_strategy_name("default")
    'default'
    >>> resolve_strategy_name("multi-worker", environ={})
    Traceback (most recent call last):
    ...
    ValueError: strategy='multi-worker' needs the TF_CONFIG environment variable to describe the cluster ...
    """
    check_choice("strategy", name, STRATEGIES)
    environ = os.environ if environ is None else environ
    cluster = read_tf_config(environ)
    if name == "auto":
        if tpu_configured(environ):
            return "tpu"
        if cluster is not None and _training_tasks(cluster[0]) > 1:
            return "multi-worker"
        from keras_vgan.precision import _physical_devices

        return "mirrored" if len(_physical_devices("GPU")) > 1 else "default"
    if name == "tpu" and not tpu_configured(environ):
        raise ValueError("strategy='tpu' found no TPU: set TPU_NAME to the TPU's name (or grpc:// address), or run "
                         "on a Cloud TPU VM; expected a configured TPU")
    if name == "multi-worker" and cluster is None:
        raise ValueError('strategy=\'multi-worker\' needs the TF_CONFIG environment variable to describe the cluster '
                         '(e.g. {"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", '
                         '"index": 0}}); it is not set')
    return name


def make_strategy(name="auto"):
    """A `tf.distribute.Strategy` for `name` (see the module docstring).

    Create it before any other TensorFlow work in the process: a multi-worker
    strategy must set up its collectives first.

    Example:
    >>> type(make_strategy("default")).__name__
    '_DefaultDistributionStrategy'
    """
    import tensorflow as tf

    name = resolve_strategy_name(name)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    tpu = os.environ.get("TPU_NAME", "").strip() or "local"
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def is_multi_worker(strategy):
    """Whether `strategy` spans several processes (a `MultiWorkerMirroredStrategy` of more than one task)."""
    extended = getattr(strategy, "extended", None)
    return bool(getattr(extended, "_in_multi_worker_mode", lambda: False)())


def worker_role(strategy):
    """This process's `WorkerRole` under `strategy`.

    The chief is the task of type "chief", or worker 0 where the cluster has no
    chief, as TensorFlow's and Keras's own checkpointing have it.

    Example:
    >>> worker_role(make_strategy("default"))
    WorkerRole(index=0, count=1, is_chief=True)
    """
    if not is_multi_worker(strategy):
        return WorkerRole()
    resolver = strategy.cluster_resolver
    cluster = resolver.cluster_spec().as_dict()
    task_type, task_id = resolver.task_type, int(resolver.task_id)
    # Input pipelines are numbered chief first, then the workers, as tf.distribute numbers them.
    order = [("chief", i) for i in range(len(cluster.get("chief", ())))]
    order += [("worker", i) for i in range(len(cluster.get("worker", ())))]
    index = order.index((task_type, task_id))
    is_chief = task_type == "chief" or (task_type == "worker" and task_id == 0 and "chief" not in cluster)
    return WorkerRole(index=index, count=len(order), is_chief=is_chief)


def per_replica_batch_size(global_batch_size, strategy):
    """`global_batch_size` split over the replicas of `strategy`; ValueError unless it divides evenly.

    Example:
    >>> per_replica_batch_size(16, make_strategy("default"))
    16
    """
    replicas = strategy.num_replicas_in_sync
    if global_batch_size % replicas:
        raise ValueError(f"batch_size={global_batch_size} is not valid for {replicas} replicas; expected a "
                         f"multiple of {replicas} (the batch size is the global batch, split over the replicas)")
    return global_batch_size // replicas


def replica_noise_seed(seed, worker_index, step=0):
    """The TensorFlow seed of worker `worker_index`'s training noise, `step` steps into a run.

    Every worker builds its networks from `seed` (so they start alike), then
    reseeds with this before training: each worker's replicas then draw their
    own noise and augmentations instead of the same ones. Worker 0 of a run
    that starts fresh keeps `seed`, so a single-process run is unchanged.

    Example:
    >>> replica_noise_seed(0, 0), replica_noise_seed(0, 1) != replica_noise_seed(0, 0)
    (0, True)
    """
    # A large odd multiplier keeps worker w at step s apart from worker w' at step s'.
    return (int(seed) + int(step) + 1_000_003 * int(worker_index)) % 2**31


def check_same_on_every_worker(strategy, what, value, hint=""):
    """Raise ValueError unless the number `value` is the same on every worker of `strategy`.

    Every worker must call it (it is a collective). Used after a restore: a
    worker that found another checkpoint than the chief would train from
    other weights, and synchronous training would never notice.
    """
    import tensorflow as tf

    # tf.distribute reduces by SUM or MEAN only: equal values are those whose squares average to the
    # mean's square. Exact in float64 for any step count.
    local = tf.constant([float(value), float(value) ** 2], tf.float64)

    @tf.function  # Collectives run eagerly are slow and warn so.
    def average():
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, strategy.run(lambda: tf.identity(local)), axis=None)

    mean, mean_square = (float(x) for x in average())
    if abs(mean_square - mean * mean) > 1e-9 * max(1.0, mean * mean):
        raise ValueError(f"{what} differs between workers (this worker: {value:g}, mean over all: {mean:g}); {hint}")


def describe_strategy(strategy, global_batch_size):
    """One line for the start of a run: the strategy, its replicas and workers, and the batch per replica."""
    role = worker_role(strategy)
    replicas = strategy.num_replicas_in_sync
    import tensorflow as tf

    # Public names: TensorFlow's own classes are CollectiveAllReduceStrategy, _DefaultDistributionStrategy, ...
    known = [(tf.distribute.MultiWorkerMirroredStrategy, "MultiWorkerMirroredStrategy"),
             (tf.distribute.MirroredStrategy, "MirroredStrategy"), (tf.distribute.TPUStrategy, "TPUStrategy")]
    name = next((label for kind, label in known if isinstance(strategy, kind)), None)
    name = name or ("the default strategy" if not tf.distribute.has_strategy() or strategy is
                    tf.distribute.get_strategy() else type(strategy).__name__)
    workers = f", worker {role.index} of {role.count}{' (chief)' if role.is_chief else ''}" if role.count > 1 else ""
    return (f"strategy: {name}, {replicas} replica{'s' if replicas != 1 else ''}{workers}; global batch "
            f"{global_batch_size}, {global_batch_size // replicas} per replica")
