"""Date formats per language (settings.FORMAT_MODULE_PATH); each module defines the same names."""
