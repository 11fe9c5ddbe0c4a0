"""Fleet simulator: virtual sensors running the firmware's own logic."""
