"""The command line: thin commands over the services, and the rendering of their results."""
