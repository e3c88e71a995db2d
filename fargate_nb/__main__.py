import sys

from fargate_nb.cli import main

sys.exit(main())
