"""Test-side helpers that use mount_image itself (writers of raw CD images, ...)."""
