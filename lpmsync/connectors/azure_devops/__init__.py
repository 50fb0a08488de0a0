"""Azure DevOps (Services and Server) connector."""
