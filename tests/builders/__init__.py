"""Test-side byte builders written from the specs, independent of ``mount_image``."""
