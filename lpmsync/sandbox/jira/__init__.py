"""Loopback fake of Jira Cloud and Jira Data Center."""
