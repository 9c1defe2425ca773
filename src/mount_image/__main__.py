"""``python -m mount_image`` is the ``mount-image`` command."""

from .cli.main import main

raise SystemExit(main())
