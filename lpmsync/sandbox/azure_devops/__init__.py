"""Loopback fake of Azure DevOps."""
