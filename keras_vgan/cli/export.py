"""`keras-vgan export`: the generator as a TensorFlow SavedModel, servable without keras_vgan.

A noise → clip model gets the signatures generate(noise) and sample(num_videos, seed); a frame
predictor (TranslationGAN) gets predict(context[, seed]) and predict_uint8(context[, seed]); a
restorer (--task enhance) gets enhance(clip) of any size, and enhance_uint8(clip) unless it inpaints.

Usage:
    keras-vgan export runs/quickstart exported/quickstart
"""


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "export", help="export the generator as a TensorFlow SavedModel",
        description="Export the generator (EMA weights by default) as a TensorFlow SavedModel with the "
                    "serving signatures generate(noise) and sample(num_videos, seed), both returning "
                    "uint8 videos [N, T, H, W, C]; a frame predictor gets predict(context[, seed]) and "
                    "predict_uint8(context[, seed]) instead, returning the future frames. "
                    "TensorFlow alone loads it.")
    parser.add_argument("model", metavar="MODEL", help="a run directory holding model.keras, or a .keras file")
    parser.add_argument("out", metavar="OUT_DIR",
                        help="the SavedModel directory: new, empty, or an earlier export (replaced)")
    parser.add_argument("--no-ema", action="store_true", help="export the raw generator weights, not the EMA copy")
    parser.set_defaults(run=run)


def run(args):
    from keras_vgan.export import check_export_target, export_generator, signature_descriptions
    from keras_vgan.saving import load_video_gan, read_class_names, resolve_model_path

    model_path = resolve_model_path(args.model)
    check_export_target(args.out)  # Fail before the slow load.
    gan = load_video_gan(model_path)
    # A conditional run's class names go into the metadata, so a server can name the labels it takes.
    class_names = read_class_names(model_path) if getattr(gan, "num_classes", None) else None
    export_generator(gan, args.out, use_ema=not args.no_ema, class_names=class_names)
    weights = "EMA" if not args.no_ema and gan.ema_generator is not None else "raw"
    signatures = "; ".join(f"{name}({text.replace(' -> ', ') -> ', 1)}"
                           for name, text in signature_descriptions(gan).items())
    print(f"keras-vgan export: wrote {args.out} ({weights} weights); signatures {signatures}")
    return 0
