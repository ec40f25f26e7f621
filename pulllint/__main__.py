import sys

from pulllint.cli import main

sys.exit(main())
