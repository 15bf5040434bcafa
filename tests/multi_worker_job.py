"""One worker of a multi-worker training job, for tests/test_multi_worker.py.

    python multi_worker_job.py INDEX PORT,PORT,... RUN_DIR OUT_DIR EPOCHS

Sets `TF_CONFIG` for worker INDEX of a localhost cluster, trains a tiny model
through `keras_vgan.training.train` (the entry point `keras-vgan train` calls)
with `strategy="multi-worker"`, and writes to OUT_DIR (outside the run
directory) what the test compares between workers: the final weights, and
noise drawn in replica context as the training step draws it.
"""

import json
import os
import sys

index, ports, run_dir, out_dir, epochs = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4], sys.argv[5]
os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"localhost:{port}" for port in ports]},
                                      "task": {"type": "worker", "index": int(index)}})

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_vgan.presets import get_preset  # noqa: E402
from keras_vgan.training import train  # noqa: E402


class ReplicaNoise(keras.callbacks.Callback):
    """Draws noise in replica context once training starts, through the model's noise path."""

    def on_train_begin(self, logs=None):
        strategy = self.model.distribute_strategy

        @tf.function
        def draw():
            return strategy.run(lambda: self.model.sample_noise(2)["noise"])

        local = strategy.experimental_local_results(draw())
        np.save(os.path.join(out_dir, f"noise_{index}.npy"), np.stack([v.numpy() for v in local]))


config = get_preset("quickstart").replace(
    frames=8, height=16, width=16, latent_dim=8, generator_filters=4, discriminator_filters=4, num_videos=32,
    batch_size=4, epochs=int(epochs), steps_per_epoch=3, checkpoint_every=2, num_samples=2, sample_every=1,
    precision="float32", strategy="multi-worker", model_options={})
gan, history = train(config, run_dir, verbose=2, extra_callbacks=[ReplicaNoise()])
weights = {f"g{i}": w for i, w in enumerate(gan.generator.get_weights())}
weights.update({f"d{i}": w for i, w in enumerate(gan.discriminator.get_weights())})
np.savez(os.path.join(out_dir, f"weights_{index}.npz"), **weights)
print(f"worker {index}: history {history.history}", flush=True)
