"""Spyder glue: the plugin, its main widget, preferences and menu integration."""
