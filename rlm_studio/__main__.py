import sys

from rlm_studio.cli.main import main

sys.exit(main())
