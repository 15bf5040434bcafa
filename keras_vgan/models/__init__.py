"""Networks, the architectures built from them, and the adversarial model that trains them."""

from keras_vgan.models.animation import AnimationGAN, build_frame_animator
from keras_vgan.models.discriminators import build_video_discriminator
from keras_vgan.models.dvd_gan import build_spatial_discriminator, build_temporal_discriminator
from keras_vgan.models.gan import VideoGAN
from keras_vgan.models.generators import build_video_generator
from keras_vgan.models.image_networks import build_image_discriminator, build_image_generator
from keras_vgan.models.layout import VideoLayout, video_layout
from keras_vgan.models.mocogan import build_mocogan_generator
from keras_vgan.models.predictors import build_convlstm_predictor, build_prediction_discriminator, build_unet_predictor
from keras_vgan.models.restorers import build_restoration_discriminator, build_restoration_generator
from keras_vgan.models.sprites import build_sprite_generator, sprite_streams
from keras_vgan.models.tgan import build_tgan_generator
from keras_vgan.models.translation import TranslationGAN
from keras_vgan.models.vgan import build_vgan_generator, vgan_streams
from keras_vgan.models.zoo import ARCHITECTURES, build_architecture, get_architecture, register_architecture

__all__ = [
    "ARCHITECTURES", "AnimationGAN", "TranslationGAN", "VideoGAN", "build_convlstm_predictor",
    "build_frame_animator", "build_prediction_discriminator", "build_unet_predictor",
    "build_restoration_discriminator", "build_restoration_generator", "VideoLayout", "build_architecture",
    "build_image_discriminator",
    "build_image_generator", "build_mocogan_generator", "build_spatial_discriminator", "build_sprite_generator",
    "build_temporal_discriminator",
    "build_tgan_generator", "build_vgan_generator", "build_video_discriminator", "build_video_generator",
    "get_architecture", "register_architecture", "sprite_streams", "vgan_streams", "video_layout",
]
