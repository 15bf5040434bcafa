import sys

from keras_vgan.cli import main

sys.exit(main())
